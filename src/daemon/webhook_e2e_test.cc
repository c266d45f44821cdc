// End to end: the emulator (a child process) pings the receiver of a hook
// that sync::EnsureWebhook created, after a change made as a person in the
// Airtable UI would (/__emulator/ui/…); the sync then finds the payload by
// its cursor. Also the emulator's ping faults: duplicated pings only poke
// twice, dropped ones leave the payload for polling to find.
#include <condition_variable>
#include <memory>
#include <mutex>

#include <gtest/gtest.h>

#include "airtable/client.h"
#include "airtable/testing/emulator_process.h"
#include "daemon/endpoints.h"
#include "daemon/webhook_receiver.h"
#include "pg/catalog.h"
#include "pg/testing/pg_test.h"
#include "sync/webhook_keeper.h"

namespace airpg::daemon {
namespace {

constexpr char kBase[] = "appEndToEnd000001";
constexpr char kData[] = R"({"bases":[{"id":"appEndToEnd000001","name":"End to end",
  "permissionLevel":"create","tables":[{"id":"tblItems000000001","name":"Items",
  "fields":[{"id":"fldName0000000001","name":"Name","type":"singleLineText"}],
  "records":[{"id":"recItem0000000001","fields":{"Name":"one"}}]}]}]})";
constexpr auto kDeadline = std::chrono::seconds(10);

class WebhookEndToEndTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
    ASSERT_TRUE(conn()
                    .Run("INSERT INTO airpg.bases (base_id, name, schema_name)"
                         " VALUES ($1, 'End to end', 'end_to_end')",
                         {kBase})
                    .ok());
    store_ = std::make_unique<PingStore>([this] { return Connect(); });
    receiver_ = std::make_unique<WebhookReceiver>(
        *store_, metrics_, [this](const std::string&, std::chrono::system_clock::time_point) {
          std::lock_guard lock(mu_);
          ++pings_;
          pinged_.notify_all();
        });
    endpoints_ = std::make_unique<Endpoints>(*receiver_, metrics_);
    ASSERT_TRUE(endpoints_->Start({}).ok());

    auto started = airtable::testing::EmulatorProcess::Start(AIRPG_EMULATOR_BINARY, kData);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    emulator_ = std::move(started).value();
    airtable::ClientOptions options;
    options.endpoint_url = emulator_->url();
    options.token = "patEndToEndTest00.0123456789abcdef";
    client_ = std::make_unique<airtable::Client>(options, pacer_);

    sync::WebhookKeeperOptions keeper;
    keeper.notification_url =
        "http://127.0.0.1:" + std::to_string(endpoints_->port()) + "/airtable/webhook";
    auto hook = sync::EnsureWebhook(*client_, conn(), kBase, keeper);
    ASSERT_TRUE(hook.ok()) << hook.status().ToString();
    hook_ = *hook;
  }

  void TearDown() override {
    client_.reset();    // its keep-alive connection would hold up the emulator's exit
    emulator_.reset();  // no more pings
    endpoints_.reset();
    receiver_.reset();
    store_.reset();
    PgTest::TearDown();
  }

  // A record created as a person in the Airtable UI.
  void ChangeARecord(const std::string& name) {
    auto created = emulator_->Control("POST", "ui/appEndToEnd000001/Items",
                                      R"({"fields":{"Name":")" + name + R"("}})");
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }

  // Waits (up to kDeadline) until the callback has run `n` times.
  bool WaitForPings(int n) {
    std::unique_lock lock(mu_);
    return pinged_.wait_for(lock, kDeadline, [&] { return pings_ >= n; });
  }

  int pings() {
    std::lock_guard lock(mu_);
    return pings_;
  }

  // Waits (up to kDeadline) until the emulator has recorded a ping outcome.
  bool WaitForNotificationResult() {
    auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      auto hooks = client_->ListWebhooks(kBase);
      if (hooks.ok() && !hooks->empty() && !(*hooks)[0].last_notification_result_json.empty()) {
        return true;
      }
      std::this_thread::yield();
    }
    return false;
  }

  int64_t PayloadsSinceCursor() {
    auto page = client_->ListPayloads(kBase, hook_.webhook_id, hook_.cursor);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? static_cast<int64_t>(page->payloads.size()) : -1;
  }

  std::string Count(const std::string& outcome) {
    auto rows = conn().Exec("SELECT count(*) FROM airpg.inbox WHERE outcome = $1", {outcome});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? std::string(rows->Get(0, 0)) : "";
  }

  MetricsRegistry metrics_;
  std::unique_ptr<PingStore> store_;
  std::unique_ptr<WebhookReceiver> receiver_;
  std::unique_ptr<Endpoints> endpoints_;
  airtable::Pacer pacer_{airtable::PacerLimits{.per_base = 1000, .per_token = 1000}};
  std::unique_ptr<airtable::testing::EmulatorProcess> emulator_;
  std::unique_ptr<airtable::Client> client_;
  sync::WebhookState hook_;
  std::mutex mu_;
  std::condition_variable pinged_;
  int pings_ = 0;  // guarded by mu_
};

TEST_F(WebhookEndToEndTest, AChangeInAirtablePingsTheReceiver) {
  ChangeARecord("two");
  ASSERT_TRUE(WaitForPings(1));
  EXPECT_EQ(Count("accepted"), "1");
  EXPECT_EQ(PayloadsSinceCursor(), 1);  // what the sync reads next
}

TEST_F(WebhookEndToEndTest, DuplicatedPingsOnlyPokeTwice) {
  ASSERT_TRUE(emulator_->Control("POST", "faults", R"({"duplicatePing":1})").ok());
  ChangeARecord("two");
  ASSERT_TRUE(WaitForPings(2));
  EXPECT_EQ(Count("accepted"), "2");
  EXPECT_EQ(PayloadsSinceCursor(), 1);
}

TEST_F(WebhookEndToEndTest, ADroppedPingLeavesThePayloadForPolling) {
  ASSERT_TRUE(emulator_->Control("POST", "faults", R"({"dropPing":1})").ok());
  ChangeARecord("two");
  ASSERT_TRUE(WaitForNotificationResult());  // the emulator believes it delivered
  EXPECT_EQ(pings(), 0);
  EXPECT_EQ(PayloadsSinceCursor(), 1);
}

}  // namespace
}  // namespace airpg::daemon
