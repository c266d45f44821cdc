// RE2 behind REGEX_*: subjects and patterns that broke std::regex (stack
// overflow, exponential backtracking) answer promptly, and the replacement
// forms follow JavaScript's.
#include "formula/regex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace airpg::formula {
namespace {

using Clock = std::chrono::steady_clock;

TEST(RegexTest, TwoHundredKilobyteSubjectDoesNotOverflowTheStack) {
  std::string subject;
  for (int i = 0; i < 100'000; ++i) subject += "ab";
  subject += "c";
  auto found = RegexSearch(subject, "(a|b)*c");
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(*found);
  auto match = RegexFirstMatch(subject, "(a|b)*c");
  ASSERT_TRUE(match.ok());
  ASSERT_TRUE(match->has_value());
  EXPECT_EQ((*match)->size(), subject.size());
}

TEST(RegexTest, CatastrophicPatternFinishesPromptly) {
  // (a+)+b over n a's and no b: 2^n steps for a backtracking engine.
  std::string subject(5'000, 'a');
  subject += "!";
  auto start = Clock::now();
  auto found = RegexSearch(subject, "(a+)+b");
  auto replaced = RegexReplaceAll(subject, "(a+)+b", "x");
  auto match = RegexFirstMatch(subject, "^(a|a?)+$");
  auto elapsed = Clock::now() - start;
  ASSERT_TRUE(found.ok() && replaced.ok() && match.ok());
  EXPECT_FALSE(*found);
  EXPECT_EQ(*replaced, subject);
  EXPECT_FALSE(match->has_value());
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(RegexTest, InvalidPatternsAreErrors) {
  for (const char* pattern : {"(", "[", "a**", "(?=a)", "(a)\\1", "x{2,1}"}) {
    EXPECT_FALSE(CheckRegex(pattern).ok()) << pattern;
    EXPECT_FALSE(RegexSearch("abc", pattern).ok()) << pattern;
  }
  EXPECT_TRUE(CheckRegex("").ok());
}

TEST(RegexTest, ReplacementFormsFollowJavaScript) {
  EXPECT_EQ(*RegexReplaceAll("John Smith", "(\\w+) (\\w+)", "$2, $1"), "Smith, John");
  EXPECT_EQ(*RegexReplaceAll("abc", "b", "[$&|$`|$'|$$]"), "a[b|a|c|$]c");
  EXPECT_EQ(*RegexReplaceAll("abc", "(b)", "$10"), "ab0c");  // $1 then "0": no group 10
  EXPECT_EQ(*RegexReplaceAll("abc", "b", "$1"), "a$1c");     // no group 1: literal
  EXPECT_EQ(*RegexReplaceAll("abc", "", "-"), "-a-b-c-");
  EXPECT_EQ(*RegexReplaceAll("héé", "", "|"), "|h|é|é|");
  EXPECT_EQ(*RegexReplaceAll("x-y", "(?P<a>x)-(?P<b>y)", "$<b>-$<a>"), "y-x");
}

TEST(RegexTest, LongAndManyPatternsStayCorrectPastTheCache) {
  std::string long_pattern = "^" + std::string(2000, 'a') + "$";
  EXPECT_TRUE(*RegexSearch(std::string(2000, 'a'), long_pattern));
  EXPECT_FALSE(*RegexSearch(std::string(1999, 'a'), long_pattern));
  for (int i = 0; i < 40; ++i) {
    std::string pattern = "^x" + std::to_string(i) + "$";
    EXPECT_TRUE(*RegexSearch("x" + std::to_string(i), pattern)) << pattern;
    EXPECT_FALSE(*RegexSearch("x" + std::to_string(i + 1), pattern)) << pattern;
  }
}

}  // namespace
}  // namespace airpg::formula
