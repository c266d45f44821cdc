#include "airtable/json_text.h"

#include <gtest/gtest.h>

namespace airpg::airtable {
namespace {

TEST(JsonTextTest, NumbersOfAnySizeFollowTheGrammar) {
  for (const char* ok : {"0", "-0", "12.5", "1e20", "1E-300", "123456789012345678901234567890",
                         "1e400", "0.29999999999999877"}) {
    EXPECT_TRUE(IsJsonNumber(ok)) << ok;
  }
  for (const char* bad :
       {"", "-", "01", "1.", ".5", "1e", "+1", "1e+", "NaN", "Infinity", "0x10"}) {
    EXPECT_FALSE(IsJsonNumber(bad)) << bad;
  }
}

}  // namespace
}  // namespace airpg::airtable
