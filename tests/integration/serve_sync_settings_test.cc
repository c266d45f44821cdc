// Issue 17: `airpg serve` runs its bases' sync with every setting `airpg
// sync` applies (cli/sync_service_config.h), through the real binary. Told
// nothing about pings, a restarted serve keeps the hook it made before (a
// replaced hook loses its pending payloads), and a sync.tables entry the base
// lacks is bad config (exit 2), as for `airpg sync`.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>

#include "airpg_process.h"
#include "emulated_base_test.h"
#include "serve_process.h"
#include "wait_for.h"

namespace airpg::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kBase[] = "appConform0000001";

class ServeSyncSettingsTest : public EmulatedBaseTest {
 protected:
  void SetUp() override {
    EmulatedBaseTest::SetUp();
    StartEmulator(ReadFile(AIRPG_CONFORMANCE_DATA));
    UseTestBase(airpg_, "patServeSettings");
    ProcessOutput migrate = airpg_.Run({"migrate", "--base", kBase});
    ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  }

  // Starts serve and waits until its first sync step is over (the hook
  // checked, every table swept after `since`, a Postgres now()).
  std::unique_ptr<ChildProcess> StartServe(std::vector<std::string> extra, const std::string& label,
                                           const std::string& since) {
    std::vector<std::string> args = {"serve", "--base", kBase, "--port", "0", "--threads", "4"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto serve = airpg_.Start(args, label);
    if (serve == nullptr) return nullptr;
    bool started = WaitFor(
        [&] {
          return Scalar("SELECT count(*) FROM airpg.sync_bases WHERE webhook_id IS NOT NULL") ==
                     "1" &&
                 Scalar("SELECT count(*) FROM airpg.sync_tables WHERE last_sweep_at > '" + since +
                        "'") == Scalar("SELECT count(*) FROM airpg.tables");
        },
        60s);
    EXPECT_TRUE(started) << serve->Stderr();
    return serve;
  }

  AirpgProcess airpg_;
};

TEST_F(ServeSyncSettingsTest, ARestartToldNothingAboutPingsKeepsTheWebhook) {
  auto first = StartServe({"--loopback-pings"}, "first", Scalar("SELECT now()"));
  ASSERT_NE(first, nullptr);
  const std::string hook = Scalar("SELECT webhook_id FROM airpg.sync_bases");
  ASSERT_FALSE(hook.empty());
  ASSERT_NO_FATAL_FAILURE(ExpectStopsOnSigterm(*first));

  auto second = StartServe({}, "second", Scalar("SELECT now()"));
  ASSERT_NE(second, nullptr);
  ASSERT_NO_FATAL_FAILURE(ExpectStopsOnSigterm(*second));
  EXPECT_EQ(Scalar("SELECT webhook_id FROM airpg.sync_bases"), hook) << second->Stderr();
  EXPECT_EQ(second->Stderr().find("replaced webhook"), std::string::npos) << second->Stderr();
  http::Client http;
  auto hooks = http.Send("GET", emulator_->url() + "/v0/bases/" + kBase + "/webhooks",
                         {{"Authorization", "Bearer patServeSettings"}}, "");
  ASSERT_TRUE(hooks.ok());
  json listed = json::parse(hooks->body, nullptr, false);
  ASSERT_EQ(listed["webhooks"].size(), 1u) << hooks->body;
  EXPECT_EQ(listed["webhooks"][0]["id"], hook);
}

TEST_F(ServeSyncSettingsTest, AnUnknownSyncTablesEntryIsBadConfig) {
  const auto config = airpg_.home() / "airpg.yaml";
  std::ofstream(config) << "sync:\n  tables:\n    Nowhere: {lane: fast}\n";
  airpg_.SetEnv("AIRPG_CONFIG", config.string());
  ProcessOutput refused = airpg_.Run({"serve", "--base", kBase, "--port", "0"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("sync.tables.Nowhere: the base has no such table"), std::string::npos)
      << refused.err;
}

}  // namespace
}  // namespace airpg::testing
