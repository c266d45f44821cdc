#include "airtable/webhook_ping.h"

#include <gtest/gtest.h>

namespace airpg::airtable {
namespace {

TEST(WebhookPingTest, ReadsTheDocumentedBody) {
  auto ping = ParseWebhookPing(
      R"({"base": {"id": "app00000000000000"}, "webhook": {"id": "ach00000000000000"}, "timestamp": "2022-02-01T21:25:05.663Z"})");
  ASSERT_TRUE(ping.ok()) << ping.status().ToString();
  EXPECT_EQ(ping->base_id, "app00000000000000");
  EXPECT_EQ(ping->webhook_id, "ach00000000000000");
  EXPECT_EQ(ping->timestamp, "2022-02-01T21:25:05.663Z");
}

TEST(WebhookPingTest, IgnoresUnknownKeysAndAMissingTimestamp) {
  auto ping = ParseWebhookPing(
      R"({"webhook":{"id":"achA","extra":1},"base":{"id":"appB"},"future":[true]})");
  ASSERT_TRUE(ping.ok()) << ping.status().ToString();
  EXPECT_EQ(ping->base_id, "appB");
  EXPECT_EQ(ping->webhook_id, "achA");
  EXPECT_EQ(ping->timestamp, "");
}

TEST(WebhookPingTest, RefusesMalformedBodies) {
  for (const char* body :
       {"", "not json", "[]", "\"app\"", R"({"base":{"id":"appB"}})",
        R"({"webhook":{"id":"achA"}})", R"({"base":{"id":""},"webhook":{"id":"achA"}})",
        R"({"base":{"id":7},"webhook":{"id":"achA"}})", R"({"base":"appB","webhook":"achA"})",
        R"({"base":{"id":"appB"},"webhook":{"id":"achA"})"}) {
    auto ping = ParseWebhookPing(body);
    ASSERT_FALSE(ping.ok()) << body;
    EXPECT_EQ(ping.status().code(), StatusCode::kInvalidArgument) << body;
  }
}

}  // namespace
}  // namespace airpg::airtable
