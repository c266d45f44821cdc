#include "base/json_escape.h"

#include <gtest/gtest.h>

namespace airpg {
namespace {

TEST(JsonEscapeTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(JsonEscape("a\"b\\c\nd\te\x01"), "a\\\"b\\\\c\\nd\\te\\u0001");
}

TEST(JsonEscapeTest, KeepsUtf8) { EXPECT_EQ(JsonEscape("Zoë 🚀"), "Zoë 🚀"); }

}  // namespace
}  // namespace airpg
