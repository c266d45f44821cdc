// EnsureWebhook against a real Postgres and the airtable-emulator (a child
// process, reached over HTTP) with its clock frozen and moved by the tests.
#include "sync/webhook_keeper.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "airtable/testing/emulator_process.h"
#include "airtable/webhook_mac.h"
#include "pg/catalog.h"
#include "pg/testing/pg_test.h"

namespace airpg::sync {
namespace {

constexpr char kBase[] = "appKeeper00000001";
constexpr char kUrl[] = "http://127.0.0.1:9/airtable/webhook";
constexpr char kData[] = R"({"bases":[{"id":"appKeeper00000001","name":"Keeper",
  "permissionLevel":"create","tables":[{"id":"tblItems000000001","name":"Items",
  "fields":[{"id":"fldName0000000001","name":"Name","type":"singleLineText"}],
  "records":[{"id":"recItem0000000001","fields":{"Name":"one"}}]}]}]})";
constexpr char kForeignSpec[] = R"({"options":{"filters":{"dataTypes":["tableData"]}}})";

class WebhookKeeperTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
    ASSERT_TRUE(conn()
                    .Run("INSERT INTO airpg.bases (base_id, name, schema_name)"
                         " VALUES ($1, 'Keeper', 'keeper')",
                         {kBase})
                    .ok());
    auto started = airtable::testing::EmulatorProcess::Start(AIRPG_EMULATOR_BINARY, kData);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    emulator_ = std::move(started).value();
    ASSERT_TRUE(
        emulator_->Control("POST", "clock", R"({"freezeAt":"2025-01-01T00:00:00.000Z"})").ok());
    airtable::ClientOptions options;
    options.endpoint_url = emulator_->url();
    options.token = "patKeeperTest0000.0123456789abcdef";
    client_ = std::make_unique<airtable::Client>(options, pacer_);
  }

  Result<WebhookState> Ensure(const std::string& url = kUrl) {
    WebhookKeeperOptions options;
    options.notification_url = url;
    options.now = [this] {
      auto now = emulator_->Now();
      EXPECT_TRUE(now.ok()) << now.status().ToString();
      return now.ok() ? *now : std::chrono::system_clock::time_point();
    };
    return EnsureWebhook(*client_, conn(), kBase, options);
  }

  std::vector<airtable::WebhookInfo> Hooks() {
    auto hooks = client_->ListWebhooks(kBase);
    EXPECT_TRUE(hooks.ok()) << hooks.status().ToString();
    return hooks.ok() ? *hooks : std::vector<airtable::WebhookInfo>();
  }

  void AdvanceDays(int days) {
    ASSERT_TRUE(
        emulator_->Control("POST", "clock", fmt::format(R"({{"advanceSeconds":{}}})", days * 86400))
            .ok());
  }

  // The first column of the first row of `sql` on the sync_bases row, as text.
  std::string Stored(const std::string& column) {
    auto rows =
        conn().Exec("SELECT " + column + " FROM airpg.sync_bases WHERE base_id = $1", {kBase});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() && !rows->empty() ? std::string(rows->Get(0, 0)) : "<no row>";
  }

  airtable::Pacer pacer_{airtable::PacerLimits{.per_base = 1000, .per_token = 1000}};
  std::unique_ptr<airtable::testing::EmulatorProcess> emulator_;
  std::unique_ptr<airtable::Client> client_;
};

TEST_F(WebhookKeeperTest, FirstCallCreatesAndStoresTheHook) {
  auto state = Ensure();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_TRUE(state->recreated);
  EXPECT_EQ(state->webhook_id.substr(0, 3), "ach");
  EXPECT_EQ(state->cursor, 1);
  EXPECT_EQ(state->expiration_time, "2025-01-08T00:00:00.000Z");
  std::vector<airtable::WebhookInfo> hooks = Hooks();
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(hooks[0].id, state->webhook_id);
  EXPECT_EQ(hooks[0].notification_url, kUrl);
  EXPECT_EQ(hooks[0].specification_json, kWebhookSpecification);
  EXPECT_EQ(Stored("webhook_id"), state->webhook_id);
  EXPECT_EQ(Stored("notification_url"), kUrl);
  EXPECT_EQ(Stored("cursor"), "1");
  EXPECT_EQ(Stored("webhook_expires_at = '2025-01-08T00:00:00Z'"), "t");
  std::string secret;
  ASSERT_TRUE(airtable::Base64Decode(Stored("mac_secret_base64"), &secret));
  EXPECT_EQ(secret.size(), 128u);
  auto events = conn().Exec(
      "SELECT detail->>'webhook_id', detail->>'reason' FROM airpg.sync_events"
      " WHERE base_id = $1 AND kind = 'webhook_recreated'",
      {kBase});
  ASSERT_TRUE(events.ok() && events->size() == 1);
  EXPECT_EQ(events->Get(0, 0), state->webhook_id);
  EXPECT_EQ(events->Get(0, 1), "none on record");
}

TEST_F(WebhookKeeperTest, SecondCallReusesTheHook) {
  auto first = Ensure();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(conn().Run("UPDATE airpg.sync_bases SET cursor = 42").ok());
  AdvanceDays(1);
  auto second = Ensure();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->recreated);
  EXPECT_FALSE(second->refreshed);  // six days left
  EXPECT_EQ(second->webhook_id, first->webhook_id);
  EXPECT_EQ(second->cursor, 42);
  EXPECT_EQ(Hooks().size(), 1u);
  EXPECT_EQ(Stored("cursor"), "42");
}

TEST_F(WebhookKeeperTest, RefreshesAHookThatExpiresWithinTwoDays) {
  auto first = Ensure();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  AdvanceDays(6);
  auto second = Ensure();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->refreshed);
  EXPECT_FALSE(second->recreated);
  EXPECT_EQ(second->webhook_id, first->webhook_id);
  EXPECT_EQ(second->expiration_time, "2025-01-14T00:00:00.000Z");
  EXPECT_EQ(Hooks()[0].expiration_time, "2025-01-14T00:00:00.000Z");
  EXPECT_EQ(Stored("webhook_expires_at = '2025-01-14T00:00:00Z'"), "t");
}

TEST_F(WebhookKeeperTest, RecreatesAnExpiredHook) {
  auto first = Ensure();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(conn().Run("UPDATE airpg.sync_bases SET cursor = 42").ok());
  AdvanceDays(8);
  auto second = Ensure();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->recreated);
  EXPECT_NE(second->webhook_id, first->webhook_id);
  EXPECT_EQ(second->cursor, 1);
  EXPECT_EQ(second->expiration_time, "2025-01-16T00:00:00.000Z");
  std::vector<airtable::WebhookInfo> hooks = Hooks();  // the expired one was deleted
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(hooks[0].id, second->webhook_id);
  EXPECT_EQ(Stored("webhook_id"), second->webhook_id);
  EXPECT_EQ(Stored("cursor"), "1");
}

TEST_F(WebhookKeeperTest, RecreatesAHookDeletedBehindItsBack) {
  auto first = Ensure();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(client_->DeleteWebhook(kBase, first->webhook_id).ok());
  auto second = Ensure();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->recreated);
  EXPECT_NE(second->webhook_id, first->webhook_id);
  EXPECT_EQ(Hooks().size(), 1u);
}

TEST_F(WebhookKeeperTest, ReplacesAHookPointingElsewhere) {
  auto first = Ensure();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto moved = Ensure("http://127.0.0.1:9/elsewhere");
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_TRUE(moved->recreated);
  EXPECT_NE(moved->webhook_id, first->webhook_id);
  std::vector<airtable::WebhookInfo> hooks = Hooks();
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(hooks[0].notification_url, "http://127.0.0.1:9/elsewhere");
  // No URL: a hook without pings, for payload polling only.
  auto polling = Ensure("");
  ASSERT_TRUE(polling.ok()) << polling.status().ToString();
  EXPECT_TRUE(polling->recreated);
  hooks = Hooks();
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(hooks[0].notification_url, "");
  EXPECT_EQ(Stored("notification_url IS NULL"), "t");
  auto again = Ensure("");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->recreated);
}

// Issue 15: a restart told nothing about pings asks for the URL on record,
// so the hook (and its cursor) stays.
TEST_F(WebhookKeeperTest, TheRecordedUrlKeepsTheHook) {
  auto none = RecordedNotificationUrl(conn(), kBase);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, "");
  auto first = Ensure();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto recorded = RecordedNotificationUrl(conn(), kBase);
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  EXPECT_EQ(*recorded, kUrl);
  auto again = Ensure(*recorded);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->recreated);
  EXPECT_EQ(again->webhook_id, first->webhook_id);
}

TEST_F(WebhookKeeperTest, SwitchesPingsBackOn) {
  auto first = Ensure();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(client_->EnableNotifications(kBase, first->webhook_id, false).ok());
  auto second = Ensure();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->notifications_enabled);
  EXPECT_FALSE(second->recreated);
  EXPECT_TRUE(Hooks()[0].are_notifications_enabled);
}

TEST_F(WebhookKeeperTest, NeverTouchesOtherHooks) {
  auto foreign = client_->CreateWebhook(kBase, "http://127.0.0.1:9/someone-else", kForeignSpec);
  ASSERT_TRUE(foreign.ok()) << foreign.status().ToString();
  auto first = Ensure();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  AdvanceDays(8);  // both expire; only ours is replaced
  auto second = Ensure();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  std::vector<airtable::WebhookInfo> hooks = Hooks();
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[0].id, foreign->id);
  EXPECT_EQ(hooks[1].id, second->webhook_id);
}

TEST_F(WebhookKeeperTest, TenForeignHooksAreAClearError) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(client_->CreateWebhook(kBase, "", kForeignSpec).ok());
  }
  auto state = Ensure();
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(state.status().message().find("at most 10"), std::string_view::npos)
      << state.status().message();
  EXPECT_EQ(Hooks().size(), 10u);
  EXPECT_EQ(Stored("webhook_id"), "<no row>");
}

TEST_F(WebhookKeeperTest, NineForeignHooksLeaveRoomForOurs) {
  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(client_->CreateWebhook(kBase, "", kForeignSpec).ok());
  }
  auto state = Ensure();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  auto moved = Ensure("http://127.0.0.1:9/elsewhere");  // delete ours first, then create
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(Hooks().size(), 10u);
}

TEST_F(WebhookKeeperTest, ABaseNotMigratedIsRefused) {
  ASSERT_TRUE(conn().Run("DELETE FROM airpg.bases").ok());
  auto state = Ensure();
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Hooks().empty());
}

}  // namespace
}  // namespace airpg::sync
