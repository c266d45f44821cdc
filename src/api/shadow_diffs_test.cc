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

}  // namespace
}  // namespace airpg::api
