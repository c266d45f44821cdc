// The webhook receiver behind the real HTTP endpoints, against a real
// Postgres: a hook on record in airpg.sync_bases, pings sent with the
// project's HTTP client.
#include "daemon/webhook_receiver.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "airtable/webhook_mac.h"
#include "base/log.h"
#include "daemon/endpoints.h"
#include "http/client.h"
#include "http/testing/raw_socket.h"
#include "pg/catalog.h"
#include "pg/testing/pg_test.h"

namespace airpg::daemon {
namespace {

constexpr char kBase[] = "appReceiver000001";
constexpr char kHook[] = "achReceiver000001";
constexpr char kKey[] = "the raw bytes of the receiver test's secret";

std::string PingBody(const std::string& base_id = kBase, const std::string& webhook_id = kHook) {
  return R"({"base":{"id":")" + base_id + R"("},"webhook":{"id":")" + webhook_id +
         R"("},"timestamp":"2025-01-01T00:00:00.000Z"})";
}

class WebhookReceiverTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
    ASSERT_TRUE(conn()
                    .Run("INSERT INTO airpg.bases (base_id, name, schema_name)"
                         " VALUES ($1, 'Receiver', 'receiver')",
                         {kBase})
                    .ok());
    SetHook(kHook, kKey);
    store_ = std::make_unique<PingStore>([this] { return Connect(); });
    receiver_ = std::make_unique<WebhookReceiver>(
        *store_, metrics_,
        [this](const std::string& base_id, std::chrono::system_clock::time_point) {
          std::lock_guard lock(mu_);
          pinged_.push_back(base_id);
        });
    endpoints_ = std::make_unique<Endpoints>(*receiver_, metrics_, [this] {
      std::lock_guard lock(mu_);
      return ready_;
    });
    ASSERT_TRUE(endpoints_->Start({}).ok());
    url_ = "http://127.0.0.1:" + std::to_string(endpoints_->port());
  }

  void TearDown() override {
    client_.reset();  // the server would wait out its keep-alive connection
    endpoints_.reset();
    receiver_.reset();
    store_.reset();
    PgTest::TearDown();
  }

  void SetHook(const std::string& webhook_id, const std::string& key) {
    ASSERT_TRUE(conn()
                    .Run("INSERT INTO airpg.sync_bases (base_id, webhook_id, mac_secret_base64)"
                         " VALUES ($1, $2, $3) ON CONFLICT (base_id) DO UPDATE SET"
                         " webhook_id = EXCLUDED.webhook_id,"
                         " mac_secret_base64 = EXCLUDED.mac_secret_base64",
                         {kBase, webhook_id, airtable::Base64Encode(key)})
                    .ok());
  }

  http::Response Send(const std::string& method, const std::string& path,
                      const std::string& body = "", const std::string& mac = "") {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"}};
    if (!mac.empty()) headers.emplace_back("X-Airtable-Content-MAC", mac);
    auto response = client_->Send(method, url_ + path, headers, body);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : http::Response{0};
  }

  // A ping signed with `key`, as Airtable sends it.
  http::Response Ping(const std::string& body = PingBody(), const std::string& key = kKey,
                      const std::string& path = "/airtable/webhook") {
    return Send("POST", path, body, airtable::ContentMac(key, body));
  }

  // outcome|base_id|webhook_id of every inbox row, oldest first.
  std::vector<std::string> Inbox() {
    auto rows = conn().Exec(
        "SELECT outcome || '|' || coalesce(base_id, '-') || '|' || coalesce(webhook_id, '-')"
        " FROM airpg.inbox ORDER BY ping_id");
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    for (int i = 0; rows.ok() && i < rows->size(); ++i) out.emplace_back(rows->Get(i, 0));
    return out;
  }

  std::vector<std::string> Pinged() {
    std::lock_guard lock(mu_);
    return pinged_;
  }

  MetricsRegistry metrics_;
  std::unique_ptr<PingStore> store_;
  std::unique_ptr<WebhookReceiver> receiver_;
  std::unique_ptr<Endpoints> endpoints_;
  std::string url_;
  std::unique_ptr<http::Client> client_ = std::make_unique<http::Client>();
  std::mutex mu_;
  Status ready_;                     // guarded by mu_
  std::vector<std::string> pinged_;  // guarded by mu_
};

TEST_F(WebhookReceiverTest, AcceptsAPingSignedWithTheStoredSecret) {
  http::Response response = Ping();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "");  // Airtable wants an empty body
  EXPECT_EQ(Inbox(), std::vector<std::string>{"accepted|appReceiver000001|achReceiver000001"});
  EXPECT_EQ(Pinged(), std::vector<std::string>{kBase});
  auto seen = conn().Exec("SELECT last_ping_at IS NOT NULL FROM airpg.sync_bases");
  ASSERT_TRUE(seen.ok() && seen->size() == 1);
  EXPECT_EQ(seen->Get(0, 0), "t");
  auto body = conn().Exec("SELECT body FROM airpg.inbox");
  ASSERT_TRUE(body.ok() && body->size() == 1);
  EXPECT_EQ(body->Get(0, 0), PingBody());
}

TEST_F(WebhookReceiverTest, AcceptsThePathWithTheBaseId) {
  EXPECT_EQ(Ping(PingBody(), kKey, "/airtable/webhook/appReceiver000001").status, 200);
  EXPECT_EQ(Ping(PingBody(), kKey, "/airtable/webhook/appSomeOtherBase1").status, 400);
  EXPECT_EQ(Inbox(), (std::vector<std::string>{"accepted|appReceiver000001|achReceiver000001",
                                               "malformed|appReceiver000001|achReceiver000001"}));
  EXPECT_EQ(Pinged().size(), 1u);
}

TEST_F(WebhookReceiverTest, RefusesAForgedMac) {
  EXPECT_EQ(Ping(PingBody(), "not the secret").status, 401);
  EXPECT_EQ(Send("POST", "/airtable/webhook", PingBody()).status, 401);  // no header
  std::string tampered = PingBody();
  tampered.replace(tampered.find("2025"), 4, "2031");
  EXPECT_EQ(
      Send("POST", "/airtable/webhook", tampered, airtable::ContentMac(kKey, PingBody())).status,
      401);
  EXPECT_EQ(Inbox(), (std::vector<std::string>(3, "bad_mac|appReceiver000001|achReceiver000001")));
  EXPECT_TRUE(Pinged().empty());
}

TEST_F(WebhookReceiverTest, RefusesMalformedBodies) {
  EXPECT_EQ(Ping("{not json").status, 400);
  EXPECT_EQ(Ping(R"({"base":{"id":"appReceiver000001"}})").status, 400);
  // Junk that Postgres text could not hold is stored cut and cleaned.
  std::string junk = std::string("\xFF\0", 2) + std::string(10000, 'x');
  EXPECT_EQ(Ping(junk).status, 400);
  EXPECT_EQ(Inbox(), std::vector<std::string>(3, "malformed|-|-"));
  auto stored = conn().Exec("SELECT octet_length(body) FROM airpg.inbox ORDER BY ping_id DESC");
  ASSERT_TRUE(stored.ok() && stored->size() == 3);
  EXPECT_EQ(stored->Get(0, 0), "4099");  // 4096 bytes and "…"
  EXPECT_TRUE(Pinged().empty());
}

TEST_F(WebhookReceiverTest, UnknownWebhooksAre404) {
  EXPECT_EQ(Ping(PingBody(kBase, "achSomeoneElse001")).status, 404);
  EXPECT_EQ(Ping(PingBody("appNotSynced00001", kHook)).status, 404);
  EXPECT_EQ(Inbox(),
            (std::vector<std::string>{"unknown_webhook|appReceiver000001|achSomeoneElse001",
                                      "unknown_webhook|appNotSynced00001|achReceiver000001"}));
  EXPECT_TRUE(Pinged().empty());
}

TEST_F(WebhookReceiverTest, AReplayedPingIsAcceptedAgainAndOnlyPokes) {
  std::string body = PingBody();
  EXPECT_EQ(Ping(body).status, 200);
  EXPECT_EQ(Ping(body).status, 200);
  EXPECT_EQ(Inbox().size(), 2u);
  EXPECT_EQ(Pinged(), (std::vector<std::string>{kBase, kBase}));
}

TEST_F(WebhookReceiverTest, PicksUpARecreatedHookAtItsFirstPing) {
  EXPECT_EQ(Ping().status, 200);  // caches the first hook's secret
  SetHook("achReceiver000002", "the new hook's secret");
  EXPECT_EQ(Ping(PingBody(kBase, "achReceiver000002"), "the new hook's secret").status, 200);
  EXPECT_EQ(Ping().status, 404);  // the old hook is no longer ours
  EXPECT_EQ(Pinged().size(), 2u);
}

TEST_F(WebhookReceiverTest, MetricsAndHealth) {
  EXPECT_EQ(Ping().status, 200);
  EXPECT_EQ(Ping(PingBody(), "forged").status, 401);
  http::Response metrics = Send("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.body,
            "# HELP airpg_webhook_pings_total Webhook pings received, by outcome.\n"
            "# TYPE airpg_webhook_pings_total counter\n"
            "airpg_webhook_pings_total{outcome=\"accepted\"} 1\n"
            "airpg_webhook_pings_total{outcome=\"bad_mac\"} 1\n");
  EXPECT_EQ(Send("GET", "/healthz").body, R"({"ok":true})");
  http::Response ready = Send("GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, R"({"ok":true})");
  EXPECT_TRUE(store_->Check().ok());
  {
    std::lock_guard lock(mu_);
    ready_ = UnavailableError("postgres is away");
  }
  ready = Send("GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.body, R"({"ok":false,"error":"UNAVAILABLE: postgres is away"})");
  EXPECT_EQ(Send("GET", "/nowhere").status, 404);
  EXPECT_EQ(Send("GET", "/airtable/webhook").status, 405);
  EXPECT_EQ(Send("POST", "/metrics").status, 405);
}

// A flood of forged pings fills neither the inbox nor the log: past the
// burst they are stored (and logged) at the budget's rate, the rest counted.
TEST_F(WebhookReceiverTest, ForgedPingsAreStoredAtABoundedRate) {
  auto now = std::chrono::system_clock::now();
  WebhookReceiver receiver(
      *store_, metrics_, nullptr, [&now] { return now; },
      WebhookReceiverLimits{.unverified_per_second = 2, .unverified_burst = 5});
  ASSERT_TRUE(store_->SecretFor(kBase, kHook).ok());  // the hook is cached: no lookups
  http::Request forged;
  forged.method = "POST";
  forged.target = "/airtable/webhook";
  forged.body = PingBody();
  forged.headers["x-airtable-content-mac"] = airtable::ContentMac("forged", forged.body);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(receiver.Handle(forged).status, 401);
  EXPECT_EQ(Inbox().size(), 5u);
  now += std::chrono::seconds(1);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(receiver.Handle(forged).status, 401);
  EXPECT_EQ(Inbox().size(), 7u);
  EXPECT_NE(metrics_.Render().find("airpg_webhook_pings_unrecorded_total 53"), std::string::npos)
      << metrics_.Render();
  // A real ping is never over budget.
  http::Request real = forged;
  real.headers["x-airtable-content-mac"] = airtable::ContentMac(kKey, real.body);
  EXPECT_EQ(receiver.Handle(real).status, 200);
  EXPECT_EQ(Inbox().size(), 8u);
}

// Pings naming hooks that are not cached cost a query each: they share the
// budget, and past it are answered 503 without one.
TEST_F(WebhookReceiverTest, UnknownHooksCannotFloodPostgresWithLookups) {
  auto now = std::chrono::system_clock::now();
  WebhookReceiver receiver(
      *store_, metrics_, nullptr, [&now] { return now; },
      WebhookReceiverLimits{.unverified_per_second = 1, .unverified_burst = 4});
  std::vector<int> statuses;
  for (int i = 0; i < 6; ++i) {
    http::Request forged;
    forged.method = "POST";
    forged.target = "/airtable/webhook";
    forged.body = PingBody("appForged" + std::to_string(100000 + i), kHook);
    statuses.push_back(receiver.Handle(forged).status);
  }
  // Each of the first two takes one share to look up and one to be stored.
  EXPECT_EQ(statuses, (std::vector<int>{404, 404, 503, 503, 503, 503}));
  EXPECT_EQ(Inbox().size(), 2u);
}

// Ids come from the body, which anyone may write: in the log they are
// escaped (no forged line) and cut (no 900 KB line).
TEST_F(WebhookReceiverTest, PingIdsAreLoggedEscapedAndCut) {
  log::Init({log::Level::kInfo, log::Format::kText});
  http::Request request;
  request.method = "POST";
  request.target = "/airtable/webhook";
  request.body = PingBody(kBase, "achX\\nERROR forged line " + std::string(900000, 'y'));
  testing::internal::CaptureStderr();
  EXPECT_EQ(receiver_->Handle(request).status, 404);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("achX\\nERROR forged line"), std::string::npos) << err;
  EXPECT_EQ(err.find("\nERROR forged"), std::string::npos) << err;
  EXPECT_LT(err.size(), 1000u);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
}

// More slow-loris connections than the endpoints have workers, each holding
// half a request head: /healthz and a real ping are still answered.
TEST_F(WebhookReceiverTest, SlowLorisConnectionsDoNotBlockHealthOrPings) {
  std::vector<std::unique_ptr<http::testing::RawSocket>> loris;
  for (int i = 0; i < 12; ++i) {
    loris.push_back(std::make_unique<http::testing::RawSocket>(endpoints_->port()));
    ASSERT_TRUE(loris.back()->Send("POST /airtable/webhook HTTP/1.1\r\nHost: x\r\nX-A: b"));
  }
  http::testing::RawSocket health(endpoints_->port());
  ASSERT_TRUE(health.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(health.ReadResponse(std::chrono::seconds(10)).rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(Ping().status, 200);
}

TEST_F(WebhookReceiverTest, AChunkedBodyPastTheLimitIs413AndNotStored) {
  http::testing::RawSocket socket(endpoints_->port());
  std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  socket.Send("POST /airtable/webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
              chunk + chunk);
  EXPECT_EQ(socket.ReadResponse(std::chrono::seconds(10)).rfind("HTTP/1.1 413", 0), 0u);
  EXPECT_TRUE(Inbox().empty());
}

}  // namespace
}  // namespace airpg::daemon
