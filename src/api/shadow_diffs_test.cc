#include "api/shadow_diffs.h"

#include <gtest/gtest.h>

namespace airpg::api {
namespace {

using airtable::wire::Json;

const Json kAirtable = Json::parse(
    R"({"records":[{"id":"rec1","fields":{"Name":"a"}},{"id":"rec2","fields":{"Name":"b"}}]})");

TEST(ShadowDiffsTest, APostgresErrorIsOneDifferenceNamingIt) {
  std::vector<ShadowDiff> diffs = CompareShadowAnswers(
      kAirtable, 422, R"({"error":{"type":"INVALID_FILTER_BY_FORMULA","message":"x"}})");
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].field, kShadowAnswerField);
  EXPECT_EQ(diffs[0].record_id, "");
  EXPECT_FALSE(diffs[0].airtable_value);
  ASSERT_TRUE(diffs[0].postgres_value);
  EXPECT_EQ(diffs[0].postgres_value->rfind("422 ", 0), 0u) << *diffs[0].postgres_value;
  EXPECT_NE(diffs[0].postgres_value->find("INVALID_FILTER_BY_FORMULA"), std::string::npos);
}

TEST(ShadowDiffsTest, EqualAnswersHaveNoDifferenceAndAChangedCellHasOne) {
  EXPECT_TRUE(CompareShadowAnswers(kAirtable, 200, kAirtable.dump()).empty());
  Json changed = kAirtable;
  changed["records"][1]["fields"]["Name"] = "c";
  std::vector<ShadowDiff> diffs = CompareShadowAnswers(kAirtable, 200, changed.dump());
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].record_id, "rec2");
  EXPECT_EQ(diffs[0].field, "Name");
  EXPECT_EQ(diffs[0].airtable_value, "\"b\"");
  EXPECT_EQ(diffs[0].postgres_value, "\"c\"");
}

TEST(ShadowDiffsTest, AnOrderedListInAnotherOrderIsOneOrderDifference) {
  Json swapped = Json::parse(
      R"({"records":[{"id":"rec2","fields":{"Name":"b"}},{"id":"rec1","fields":{"Name":"a"}}]})");
  EXPECT_TRUE(CompareShadowAnswers(kAirtable, 200, swapped.dump(), false).empty());
  std::vector<ShadowDiff> diffs = CompareShadowAnswers(kAirtable, 200, swapped.dump(), true);
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].record_id, "");
  EXPECT_EQ(diffs[0].field, kShadowOrderField);
  EXPECT_EQ(diffs[0].airtable_value, R"(["rec1","rec2"])");
  EXPECT_EQ(diffs[0].postgres_value, R"(["rec2","rec1"])");
  // A record only one side has is its own difference, not an order one.
  Json fewer = Json::parse(R"({"records":[{"id":"rec2","fields":{"Name":"b"}}]})");
  diffs = CompareShadowAnswers(kAirtable, 200, fewer.dump(), true);
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].record_id, "rec1");
}

TEST(ShadowDiffsTest, OnlyListsWithASortOrAViewAskForOrder) {
  EXPECT_TRUE(AsksForOrder("/v0/app/tbl?sort%5B0%5D%5Bfield%5D=Name", ""));
  EXPECT_TRUE(AsksForOrder("/v0/app/tbl?view=Grid", ""));
  EXPECT_TRUE(AsksForOrder("/v0/app/tbl/listRecords", R"({"sort":[{"field":"Name"}]})"));
  EXPECT_TRUE(AsksForOrder("/v0/app/tbl/listRecords", R"({"view":"viwX"})"));
  EXPECT_FALSE(AsksForOrder("/v0/app/tbl?pageSize=3&fields%5B%5D=sort", ""));
  EXPECT_FALSE(AsksForOrder("/v0/app/tbl/listRecords", R"({"sort":[],"pageSize":3})"));
  EXPECT_FALSE(AsksForOrder("/v0/app/tbl/listRecords", "not json"));
}

TEST(ShadowDiffsTest, OnlyDifferencesFoundBothTimesPersist) {
  std::vector<ShadowDiff> first = {{"", "", "", "rec1", "Name", "\"a\"", "\"x\""},
                                   {"", "", "", "rec2", "Name", "\"b\"", "\"y\""}};
  std::vector<ShadowDiff> second = {{"", "", "", "rec2", "Name", "\"b\"", "\"y\""},
                                    {"", "", "", "rec3", "", std::nullopt, "{}"}};
  std::vector<ShadowDiff> kept = PersistingDiffs(first, second);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].record_id, "rec2");
}

}  // namespace
}  // namespace airpg::api
