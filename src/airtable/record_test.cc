#include "airtable/record.h"

#include <gtest/gtest.h>

#include "airtable/testing_fixtures.h"

namespace airpg::airtable {
namespace {

using testing::Fixture;

TEST(RecordTest, ParsesARealListPageKeepingEveryCell) {
  std::string body = Fixture("records/art_gallery_list_records_full.json");
  ASSERT_FALSE(body.empty());
  auto page = ParseRecordPage(body);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->records.size(), 7u);
  EXPECT_EQ(page->offset, "");
  const Record& first = page->records[0];
  EXPECT_EQ(first.id, "rec6vpnCofe2OZiwi");
  EXPECT_EQ(first.created_time, "2015-02-09T23:24:14.000Z");
  ASSERT_TRUE(first.Cell("Name").has_value());
  EXPECT_EQ(*first.Cell("Name"), "\"Al Held\"");
  ASSERT_TRUE(first.Cell("Attachments").has_value());
  EXPECT_EQ(first.Cell("Attachments")->front(), '[');
  EXPECT_EQ(first.Cell("No such field"), std::nullopt);
  // Pretty-printed input is minified; strings keep their own spaces.
  EXPECT_EQ(first.Cell("Attachments")->find('\n'), std::string_view::npos);
  EXPECT_TRUE(first.unknown_keys.empty());
}

TEST(RecordTest, KeepsCommentCountAndFieldIds) {
  auto counted = ParseRecordPage(Fixture("records/art_gallery_list_records_comment_count.json"));
  ASSERT_TRUE(counted.ok()) << counted.status().ToString();
  for (const Record& r : counted->records) EXPECT_TRUE(r.comment_count.has_value()) << r.id;
  auto by_id =
      ParseRecordPage(Fixture("records/art_gallery_list_records_return_fields_by_field_id.json"));
  ASSERT_TRUE(by_id.ok());
  ASSERT_EQ(by_id->records.size(), 3u);
  const Record& r = by_id->records[0];
  for (size_t i = 0; i < r.field_count(); ++i) EXPECT_EQ(r.FieldKey(i).rfind("fld", 0), 0u);
}

TEST(RecordTest, NumbersKeepEveryDigitAsSent) {
  auto record = ParseRecord(
      R"({"id":"recA","fields":{"Big":12345678901234567890.125,"Tiny":1e-7,"List":[1.50, 2]}})");
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(*record->Cell("Big"), "12345678901234567890.125");
  EXPECT_EQ(*record->Cell("Tiny"), "1e-7");
  EXPECT_EQ(*record->Cell("List"), "[1.50,2]");
}

TEST(RecordTest, InvalidScalarsInsideCellsAreRejected) {
  EXPECT_EQ(ParseRecord(R"({"id":"recA","fields":{"X":tru}})").status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(ParseRecord(R"({"id":"recA","fields":{"X":"bad \q escape"}})").status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(ParseRecord(R"({"id":"recA","fields":{}} trailing)").status().code(),
            StatusCode::kDataLoss);
}

TEST(RecordTest, UnknownKeysArePreservedNotDropped) {
  auto record = ParseRecord(
      R"({"id":"recA","createdTime":"2024-01-01T00:00:00.000Z","fields":{},"futureKey":{"x":[1,2]},"q\"k":1})");
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->unknown_keys, R"({"futureKey":{"x":[1,2]},"q\"k":1})");
}

TEST(RecordTest, ParsesWriteAndUpsertResponses) {
  auto batch = ParseWriteResult(Fixture("records/art_gallery_create_records_batch.json"));
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_FALSE(batch->records.empty());
  EXPECT_TRUE(batch->created_record_ids.empty());
  auto upsert = ParseWriteResult(Fixture("docs_examples/upsert_records_response.json"));
  ASSERT_TRUE(upsert.ok()) << upsert.status().ToString();
  EXPECT_EQ(upsert->created_record_ids.size() + upsert->updated_record_ids.size(),
            upsert->records.size());
}

TEST(RecordTest, ParsesSingleAndBatchDeletes) {
  auto one = ParseDeleted(Fixture("records/art_gallery_delete_record.json"));
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->size(), 1u);
  auto many = ParseDeleted(Fixture("docs_examples/delete_records_response.json"));
  ASSERT_TRUE(many.ok()) << many.status().ToString();
  EXPECT_EQ(many->size(), 2u);
  EXPECT_EQ(ParseDeleted(R"({"records":[{"id":"recA","deleted":false}]})").status().code(),
            StatusCode::kDataLoss);
}

TEST(RecordTest, BrokenBodiesAreDataLossNeverACrash) {
  std::string full = Fixture("records/art_gallery_list_records_full.json");
  // Every truncation of a real page is rejected cleanly.
  for (size_t cut = 0; cut < full.size(); cut += 97) {
    auto page = ParseRecordPage(std::string_view(full).substr(0, cut));
    EXPECT_EQ(page.status().code(), StatusCode::kDataLoss) << cut;
  }
  for (std::string_view body : {"", "null", "[]", "{\"records\":{}}", "{\"records\":[1]}",
                                "{\"records\":[{\"fields\":{}}]}", "{\"records\":[{\"id\":7}]}",
                                "{\"records\":[{\"id\":\"r\",\"fields\":[]}]}", "<html>"}) {
    EXPECT_EQ(ParseRecordPage(body).status().code(), StatusCode::kDataLoss) << body;
  }
}

}  // namespace
}  // namespace airpg::airtable
