#include "base/utf8.h"

#include <gtest/gtest.h>

namespace airpg {
namespace {

TEST(Utf8WithReplacementTest, ValidTextIsUnchanged) {
  EXPECT_EQ(Utf8WithReplacement(""), "");
  EXPECT_EQ(Utf8WithReplacement("plain"), "plain");
  EXPECT_EQ(Utf8WithReplacement("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(Utf8WithReplacementTest, EachIllFormedSubpartIsOneReplacementCharacter) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(Utf8WithReplacement("O\xF3\xF3"), "O" + r + r);           // leads without continuations
  EXPECT_EQ(Utf8WithReplacement("\x80x"), r + "x");                   // stray continuation
  EXPECT_EQ(Utf8WithReplacement("\xE2\x82"), r);                      // truncated: one subpart
  EXPECT_EQ(Utf8WithReplacement("\xC0\xAF"), r + r);                  // overlong lead C0
  EXPECT_EQ(Utf8WithReplacement("\xE0\x80\xAF"), r + r + r);          // overlong three-byte
  EXPECT_EQ(Utf8WithReplacement("\xED\xA0\x80"), r + r + r);          // a surrogate
  EXPECT_EQ(Utf8WithReplacement("\xF4\x90\x80\x80"), r + r + r + r);  // past U+10FFFF
  EXPECT_EQ(Utf8WithReplacement("\xF0\x9F\x98"), r);                  // truncated four-byte
  EXPECT_EQ(Utf8WithReplacement("\xFF"), r);
  EXPECT_EQ(Utf8WithReplacement(std::string_view("a\0b", 3)),
            "a" + r + "b");  // Postgres refuses NUL
}

TEST(Utf8SequenceLengthTest, MeasuresTheSequenceAtTheStart) {
  EXPECT_EQ(Utf8SequenceLength("a"), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xC3\xA9x"), 2u);
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9F\x98\x80"), 4u);
  size_t subpart = 0;
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9F\x98", &subpart), 0u);
  EXPECT_EQ(subpart, 3u);
  EXPECT_EQ(Utf8SequenceLength(std::string_view("\0", 1)), 0u);
  EXPECT_EQ(Utf8SequenceLength(""), 0u);
}

}  // namespace
}  // namespace airpg
