#include "airtable/webhook.h"

#include <gtest/gtest.h>

#include "airtable/testing_fixtures.h"

namespace airpg::airtable {
namespace {

using testing::Fixture;

TEST(WebhookTest, ParsesCreateAndList) {
  auto created = ParseCreatedWebhook(Fixture("webhooks/create_webhook_response_real.json"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->id.rfind("ach", 0), 0u);
  EXPECT_FALSE(created->mac_secret_base64.empty());
  auto list =
      ParseWebhookList(Fixture("webhooks/list_webhooks_last_notification_failed_real.json"));
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_FALSE(list->empty());
  EXPECT_FALSE(list->front().specification_json.empty());
  EXPECT_NE(list->front().last_notification_result_json.find("willBeRetried"), std::string::npos);
  auto never = ParseWebhookList(Fixture("webhooks/list_webhooks_never_notified_real.json"));
  ASSERT_TRUE(never.ok());
  EXPECT_EQ(never->front().last_notification_result_json, "");
}

TEST(WebhookTest, NumbersPayloadsFromTheRequestCursor) {
  auto page = ParsePayloadPage(Fixture("webhooks/list_payloads_create_destroy_real.json"), 1);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->payloads.size(), 8u);
  EXPECT_EQ(page->cursor, 9);
  EXPECT_EQ(page->payloads[0].number, 1);
  EXPECT_EQ(page->payloads[7].number, 8);
  const Payload& first = page->payloads[0];
  EXPECT_EQ(first.source, "publicApi");
  EXPECT_EQ(first.base_transaction_number, 9730);
  ASSERT_EQ(first.tables.size(), 1u);
  ASSERT_EQ(first.tables[0].created_records.size(), 1u);
  EXPECT_EQ(first.tables[0].created_records[0].record_id, "recmL2nzyOJVrv00D");
  EXPECT_EQ(page->payloads[1].tables[0].destroyed_record_ids.front(), "recmL2nzyOJVrv00D");
  EXPECT_FALSE(first.json.empty());
}

TEST(WebhookTest, ReadsEveryTableChangeKey) {
  std::string table = Fixture("webhooks/docs_table_changed_all_keys.json");
  auto page = ParsePayloadPage(
      R"({"payloads":[{"timestamp":"t","baseTransactionNumber":3,"changedTablesById":{"tblA":)" +
          table + "}}],\"cursor\":6,\"mightHaveMore\":true}",
      5);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->might_have_more);
  const TableChanges& t = page->payloads[0].tables[0];
  EXPECT_EQ(t.table_id, "tblA");
  EXPECT_EQ(t.created_records.size(), 1u);
  ASSERT_EQ(t.changed_records.size(), 1u);
  EXPECT_FALSE(t.changed_records[0].current.empty());
  EXPECT_FALSE(t.changed_records[0].previous.empty());
  EXPECT_FALSE(t.created_fields_json.empty());
  EXPECT_FALSE(t.changed_fields_json.empty());
  EXPECT_EQ(t.destroyed_field_ids.size(), 1u);
  EXPECT_FALSE(t.changed_metadata_json.empty());
}

TEST(WebhookTest, ErrorPayloadsAndDestroyedTables) {
  auto page = ParsePayloadPage(
      R"({"payloads":[{"timestamp":"t","baseTransactionNumber":1,"payloadFormat":"v0","error":true,"code":"INVALID_FILTERS"}],"cursor":2,"mightHaveMore":false})",
      1);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->payloads[0].error);
  EXPECT_EQ(page->payloads[0].error_code, "INVALID_FILTERS");
  auto destroyed = ParsePayloadPage(
      "{\"payloads\":[" + Fixture("webhooks/pyairtable_payload_destroyed_tables.json") +
          "],\"cursor\":2,\"mightHaveMore\":false}",
      1);
  ASSERT_TRUE(destroyed.ok()) << destroyed.status().ToString();
  EXPECT_EQ(destroyed->payloads[0].destroyed_table_ids.size(), 2u);
  EXPECT_EQ(destroyed->payloads[0].source, "client");
}

// Issue 14: simdjson's DOM refused a whole page for one integer past 2^64,
// and the base's cursor stopped there for good.
TEST(WebhookTest, IntegersPastTwoToTheSixtyFourAreKeptAsTheirDigits) {
  auto page = ParsePayloadPage(
      R"({"payloads":[{"timestamp":"t","baseTransactionNumber":7,"changedTablesById":{"tblA":)"
      R"({"changedRecordsById":{"recA":{"current":{"cellValuesByFieldId":)"
      R"({"fldBig":100000000000000000000,"fldNeg":-18446744073709551617,"fldExp":1e400,)"
      R"("fldList":[ 1, 99999999999999999999999 ]}}}}}}}],"cursor":2,"mightHaveMore":false})",
      1);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->payloads.size(), 1u);
  const Payload& p = page->payloads[0];
  EXPECT_EQ(p.unreadable, "");
  EXPECT_EQ(p.base_transaction_number, 7);
  ASSERT_EQ(p.tables.size(), 1u);
  ASSERT_EQ(p.tables[0].changed_records.size(), 1u);
  const Cells& cells = p.tables[0].changed_records[0].current;
  ASSERT_EQ(cells.size(), 4u);
  EXPECT_EQ(cells[0], (std::pair<std::string, std::string>("fldBig", "100000000000000000000")));
  EXPECT_EQ(cells[1].second, "-18446744073709551617");
  EXPECT_EQ(cells[2].second, "1e400");
  EXPECT_EQ(cells[3].second, "[ 1, 99999999999999999999999 ]");
  EXPECT_EQ(page->cursor, 2);
}

TEST(WebhookTest, APayloadThatCannotBeReadIsMarkedAndTheOthersAreRead) {
  auto page = ParsePayloadPage(
      R"({"payloads":[{"timestamp":"t","baseTransactionNumber":1,"changedTablesById":{"tblA":)"
      R"({"destroyedRecordIds":["recA"]}}},)"
      R"({"timestamp":"t","baseTransactionNumber":"two","changedTablesById":{"tblA":)"
      R"({"destroyedRecordIds":["recB"]}}},)"
      R"({"timestamp":"t","baseTransactionNumber":3,"changedTablesById":{"tblA":)"
      R"({"destroyedRecordIds":[7]}}},)"
      R"(42,)"
      R"({"timestamp":"t","baseTransactionNumber":5,"changedTablesById":{"tblA":)"
      R"({"destroyedRecordIds":["recE"]}}}],"cursor":15,"mightHaveMore":false})",
      10);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->payloads.size(), 5u);
  EXPECT_EQ(page->payloads[0].unreadable, "");
  EXPECT_EQ(page->payloads[0].tables[0].destroyed_record_ids.front(), "recA");
  EXPECT_NE(page->payloads[1].unreadable, "");
  EXPECT_EQ(page->payloads[1].number, 11);
  EXPECT_NE(page->payloads[1].json.find("\"two\""), std::string::npos);
  EXPECT_NE(page->payloads[2].unreadable, "");
  EXPECT_NE(page->payloads[3].unreadable, "");
  EXPECT_EQ(page->payloads[3].json, "42");
  EXPECT_EQ(page->payloads[4].unreadable, "");
  EXPECT_EQ(page->payloads[4].number, 14);
  EXPECT_EQ(page->payloads[4].tables[0].destroyed_record_ids.front(), "recE");
}

TEST(WebhookTest, MalformedBodiesAreDataLoss) {
  EXPECT_EQ(ParsePayloadPage(R"({"payloads":[{"timestamp":"t"},)", 1).status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(ParsePayloadPage(R"({"payloads":{}})", 1).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParsePayloadPage(R"({"cursor":1})", 1).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParsePayloadPage(R"({"payloads":[]} x)", 1).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParsePayloadPage("{\"payloads\":", 1).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParseCreatedWebhook("{\"id\":\"achA\"}").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParseWebhookList("[]").status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace airpg::airtable
