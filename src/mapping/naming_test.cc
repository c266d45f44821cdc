#include "mapping/naming.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace airpg::mapping {
namespace {

std::string Trim(std::string s) {
  size_t first = s.find_first_not_of(" \t");
  size_t last = s.find_last_not_of(" \t");
  return first == std::string::npos ? "" : s.substr(first, last - first + 1);
}

TEST(NamingTest, SnakeCaseCasesFromTestdata) {
  std::ifstream in(std::string(AIRPG_MAPPING_TESTDATA) + "/naming.test");
  ASSERT_TRUE(in) << "missing testdata";
  int cases = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    size_t arrow = line.find("=>");
    ASSERT_NE(arrow, std::string::npos) << line;
    std::string input = line.substr(0, arrow);
    // Keep inner spacing of the input; only the separator's spaces go.
    if (!input.empty() && input.back() == ' ') input.pop_back();
    std::string expected = Trim(line.substr(arrow + 2));
    EXPECT_EQ(SnakeCase(input, "f_", "field"), expected) << "input: [" << input << "]";
    ++cases;
  }
  EXPECT_GE(cases, 20);
}

TEST(NamingTest, ReservedWordsAndBookkeepingColumnsAreAvoided) {
  EXPECT_TRUE(IsReservedWord("user"));
  EXPECT_TRUE(IsReservedWord("order"));
  EXPECT_FALSE(IsReservedWord("name"));
  NameScope columns(BookkeepingColumns());
  EXPECT_EQ(columns.Take("user"), "user_");
  EXPECT_EQ(columns.Take("order"), "order_");
  EXPECT_EQ(columns.Take("id"), "id_2");
  EXPECT_EQ(columns.Take("deleted_at"), "deleted_at_2");
}

TEST(NamingTest, CollisionsGetDeterministicSuffixes) {
  NameScope scope;
  EXPECT_EQ(scope.Take("name"), "name");
  EXPECT_EQ(scope.Take("name"), "name_2");
  EXPECT_EQ(scope.Take("name"), "name_3");
  scope.Keep("stage");
  EXPECT_EQ(scope.Take("stage"), "stage_2");
  NameScope again;
  EXPECT_EQ(again.Take("name"), "name");
  EXPECT_EQ(again.Take("name"), "name_2");
}

TEST(NamingTest, LongNamesFitIn63BytesWithoutSplittingCharacters) {
  std::string long_ascii(100, 'x');
  std::string snake = SnakeCase(long_ascii, "f_", "field");
  EXPECT_EQ(snake.size(), kMaxIdentifierBytes);
  NameScope scope;
  EXPECT_EQ(scope.Take(snake).size(), 63u);
  std::string second = scope.Take(snake);
  EXPECT_LE(second.size(), 63u);
  EXPECT_EQ(second.substr(second.size() - 2), "_2");
  std::string cyrillic;
  for (int i = 0; i < 40; ++i) cyrillic += "ж";  // 2 bytes each
  std::string cut = SnakeCase(cyrillic, "f_", "field");
  EXPECT_LE(cut.size(), 63u);
  EXPECT_EQ(cut.size() % 2, 0u);  // whole characters only
}

TEST(NamingTest, KeptVersionsOfAColumnCountUpAndFit) {
  NameScope scope;
  scope.Keep("due");
  scope.Keep("due__v1");
  EXPECT_TRUE(scope.Contains("due"));
  EXPECT_FALSE(scope.Contains("due__v2"));
  EXPECT_EQ(scope.TakeVersion("due"), "due__v2");
  EXPECT_EQ(scope.TakeVersion("due"), "due__v3");
  std::string long_name(63, 'x');
  std::string kept = scope.TakeVersion(long_name);
  EXPECT_EQ(kept.size(), 63u);
  EXPECT_EQ(kept.substr(kept.size() - 4), "__v1");
}

TEST(NamingTest, ForeignKeysAskForFieldIdAndViewsForTableLive) {
  EXPECT_EQ(ColumnNameCandidate("Client", true), "client_id");
  EXPECT_EQ(ColumnNameCandidate("Client", false), "client");
  EXPECT_EQ(ColumnNameCandidate("Reports To", true), "reports_to_id");
  EXPECT_EQ(ColumnNameCandidate("Client ID", true), "client_id");  // no client_id_id
  EXPECT_EQ(ColumnNameCandidate("🏢", true), "field_id");
  std::string long_name(70, 'x');
  EXPECT_EQ(ColumnNameCandidate(long_name, true), std::string(60, 'x') + "_id");
  EXPECT_EQ(LiveViewCandidate("clients"), "clients_live");
  EXPECT_EQ(LiveViewCandidate(std::string(63, 'y')), std::string(58, 'y') + "_live");
}

}  // namespace
}  // namespace airpg::mapping
