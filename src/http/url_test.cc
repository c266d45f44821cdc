#include "http/url.h"

#include <gtest/gtest.h>

namespace airpg::http {
namespace {

TEST(HttpUrlTest, PercentDecodeTreatsPlusAsSpaceOnlyInQueries) {
  EXPECT_EQ(PercentDecode("a+b%20c", true), "a b c");
  EXPECT_EQ(PercentDecode("a+b%20c", false), "a+b c");
  EXPECT_EQ(PercentDecode("100%", true), "100%");
  EXPECT_EQ(PercentDecode("%zz", true), "%zz");
}

TEST(HttpUrlTest, PercentEncodeRoundTrips) {
  std::string odd = ":/?#[]@!$&'()*+,;= Best Artists\\ %2F -._~";
  EXPECT_EQ(PercentDecode(PercentEncode(odd), false), odd);
  EXPECT_EQ(PercentEncode("a b"), "a%20b");
}

TEST(HttpUrlTest, ParseQueryReadsBytesThatAreNotUtf8AsReplacementCharacters) {
  QueryParams params = ParseQuery("filterByFormula=FIND(%22O\xF3%F3%22,Name)&k%FF=v");
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].second, "FIND(\"O\xEF\xBF\xBD\xEF\xBF\xBD\",Name)");
  EXPECT_EQ(params[1].first, "k\xEF\xBF\xBD");
  EXPECT_EQ(params[1].second, "v");
}

TEST(HttpUrlTest, SplitPathReadsBytesThatAreNotUtf8AsReplacementCharacters) {
  std::vector<std::string> segments = SplitPath("/v0/app1/T%FFx");
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_EQ(segments[2], "T\xEF\xBF\xBDx");
}

TEST(HttpUrlTest, ParseQueryKeepsOrderAndBrackets) {
  QueryParams params =
      ParseQuery("fields%5B%5D=A+B&fields[]=C&sort%5B0%5D%5Bfield%5D=Name&flag&&x=");
  ASSERT_EQ(params.size(), 5u);
  EXPECT_EQ(params[0], (std::pair<std::string, std::string>{"fields[]", "A B"}));
  EXPECT_EQ(params[1].first, "fields[]");
  EXPECT_EQ(params[2].first, "sort[0][field]");
  EXPECT_EQ(params[3], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(params[4], (std::pair<std::string, std::string>{"x", ""}));
}

TEST(HttpUrlTest, SplitTargetAndPathDecodeSegmentsOnce) {
  auto [path, query] = SplitTarget("/v0/app1/My%2FTable%2520/?");
  EXPECT_EQ(query, "");
  auto segments = SplitPath(path);
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_EQ(segments[2], "My/Table%20");
  EXPECT_EQ(SplitPath("//v0//x/").size(), 2u);
}

}  // namespace
}  // namespace airpg::http
