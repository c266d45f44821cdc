// `airpg sync`'s service end to end: a migrated base, the service running on
// its own thread with the webhook pointed at its own receiver, a change made
// in the emulator reaching Postgres through ping → payloads → apply (polls
// and the fallback payload read are set far apart, so only the ping can
// bring it in time), and a clean stop. And the service riding out a
// Postgres restart: it reconnects and goes on where the catalog says.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "airtable/transport.h"
#include "base/clock.h"
#include "daemon/sync_service.h"
#include "emulated_base_test.h"
#include "http/client.h"
#include "pg/testing/test_cluster.h"
#include "wait_for.h"

namespace airpg {
namespace {

using testing::json;
using testing::ReadFile;
constexpr const char* kDelta = "appDeltaAnalytic1";

class SyncServiceTest : public testing::EmulatedBaseTest {
 protected:
  // The service for the migrated Delta sample in this test's database, pinged
  // on loopback, with its polls ten minutes apart so that only a ping (or the
  // payload read, where a test says so) brings a change in.
  daemon::SyncServiceOptions DeltaService() {
    daemon::SyncServiceOptions options;
    options.base_id = kDelta;
    options.conninfo = url();
    options.loopback_pings = true;
    options.syncer.sweep_interval = std::chrono::hours(1);
    for (const char* table : {"tblClients0000001", "tblRegulators0001", "tblRegistrations1",
                              "tblDocuments00001", "tblStaff000000001"}) {
      options.syncer.poll_intervals[table] = std::chrono::minutes(10);
    }
    return options;
  }
};

TEST_F(SyncServiceTest, APingBringsAChangeInWithinSecondsAndAStopEndsCleanly) {
  StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
  ASSERT_TRUE(Run(kDelta).ok());
  daemon::SyncServiceOptions options = DeltaService();
  options.syncer.payload_interval = std::chrono::minutes(10);
  // Each step of the service reports here; the test waits on that, with a
  // deadline, instead of sleeping.
  std::mutex mu;
  std::condition_variable stepped;
  int steps = 0;
  options.on_step = [&](const sync::StepReport&) {
    std::lock_guard lock(mu);
    ++steps;
    stepped.notify_all();
  };
  std::atomic<int> port{0};
  options.on_listening = [&](int p) { port = p; };
  std::stop_source stop;
  Status result;
  std::thread service(
      [&] { result = daemon::RunSyncService(*client_, options, stop.get_token()); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto wait_for_step = [&](const std::function<bool()>& done) {
    std::unique_lock lock(mu);
    for (int seen = steps; !done();) {
      if (!stepped.wait_until(lock, deadline, [&] { return steps > seen; })) return done();
      seen = steps;
    }
    return true;
  };
  ASSERT_TRUE(wait_for_step([&] { return steps > 0; }));

  Control("PATCH", std::string("ui/") + kDelta + "/Clients/recCliSolaris001",
          {{"fields", {{"Notes", "Pinged in"}}}});
  // The ping wakes the service; the step after it has applied the change.
  const std::string notes =
      "SELECT notes FROM delta_analytics_registration_tracking.clients WHERE airtable_id = "
      "'recCliSolaris001'";
  EXPECT_TRUE(wait_for_step([&] { return Scalar(notes) == "Pinged in"; }));
  // /metrics: the clients table's ping → commit lag, no 429, nothing queued.
  http::Client http;
  auto metrics = http.Send("GET", fmt::format("http://127.0.0.1:{}/metrics", port.load()), {}, "");
  ASSERT_TRUE(metrics.ok());
  for (const char* line :
       {"airpg_sync_lag_seconds_count{base=\"appDeltaAnalytic1\",table=\"clients\"} 1\n",
        "airpg_airtable_rate_limited_total{base=\"appDeltaAnalytic1\"} 0\n",
        "airpg_airtable_queue_depth 0\n",
        "airpg_sync_pings_waiting{base=\"appDeltaAnalytic1\"} 0\n"}) {
    EXPECT_NE(metrics->body.find(line), std::string::npos) << line << metrics->body;
  }
  stop.request_stop();
  service.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
  EXPECT_EQ(Scalar("SELECT outcome FROM airpg.inbox ORDER BY ping_id DESC LIMIT 1"), "accepted");
  EXPECT_EQ(Scalar("SELECT string_agg(DISTINCT table_id, ',') FROM airpg.sync_events WHERE kind = "
                   "'ping_lag'"),
            "tblClients0000001");
  ExpectClean(Verify(kDelta));
}

// Issue 15: a restart on the same port keeps airpg's webhook (same id, one
// hook) and its cursor, so a change made while the sync was down arrives
// through the hook's payloads — the first step reads them before any poll,
// and the polls after the restart change nothing — and nothing is lost. A
// second restart told nothing about pings keeps the recorded URL, and the hook.
TEST_F(SyncServiceTest, ARestartKeepsTheWebhookAndReadsWhatChangedMeanwhileFromItsPayloads) {
  StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
  ASSERT_TRUE(Run(kDelta).ok());
  daemon::SyncServiceOptions options = DeltaService();
  options.syncer.payload_interval = std::chrono::minutes(10);
  std::atomic<int> port{0}, steps{0};
  options.on_listening = [&](int p) { port = p; };
  options.on_step = [&](const sync::StepReport&) { ++steps; };
  auto run_until = [&](const daemon::SyncServiceOptions& run, const std::function<bool()>& done) {
    steps = 0;
    std::stop_source stop;
    Status result;
    std::thread service([&] { result = daemon::RunSyncService(*client_, run, stop.get_token()); });
    bool reached =
        testing::WaitFor([&] { return steps.load() > 0 && done(); }, std::chrono::seconds(30));
    stop.request_stop();
    service.join();
    EXPECT_TRUE(result.ok()) << result.ToString();
    return reached;
  };
  ASSERT_TRUE(run_until(options, [] { return true; }));
  const std::string hook = Scalar("SELECT webhook_id FROM airpg.sync_bases");
  ASSERT_FALSE(hook.empty());
  const std::string last_event = Scalar("SELECT max(event_id) FROM airpg.sync_events");

  // Down: a change in Airtable (its ping finds nobody listening).
  Control("PATCH", std::string("ui/") + kDelta + "/Clients/recCliSolaris001",
          {{"fields", {{"Notes", "While the sync was down"}}}});
  daemon::SyncServiceOptions again = options;
  again.endpoints.port = port.load();
  const std::string notes =
      "SELECT notes FROM delta_analytics_registration_tracking.clients WHERE airtable_id = "
      "'recCliSolaris001'";
  EXPECT_TRUE(run_until(again, [&] { return Scalar(notes) == "While the sync was down"; }));
  auto hooks = client_->ListWebhooks(kDelta);
  ASSERT_TRUE(hooks.ok()) << hooks.status().ToString();
  ASSERT_EQ(hooks->size(), 1u);
  EXPECT_EQ((*hooks)[0].id, hook);
  EXPECT_TRUE((*hooks)[0].is_hook_enabled);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_events WHERE kind = 'webhook_recreated'"), "1");
  EXPECT_EQ(Scalar("SELECT coalesce(sum(records), 0) FROM airpg.sync_events WHERE kind = "
                   "'webhook' AND event_id > " +
                   last_event),
            "1");
  EXPECT_EQ(Scalar("SELECT coalesce(sum(records), 0) FROM airpg.sync_events WHERE kind = 'poll' "
                   "AND event_id > " +
                   last_event),
            "0");
  EXPECT_GT(std::stoll(Scalar("SELECT cursor FROM airpg.sync_bases")), 1);

  // No ping settings at all (`airpg sync` without --loopback-pings or
  // --public-url): the URL on record is kept, and so is the hook.
  daemon::SyncServiceOptions unset = again;
  unset.loopback_pings = false;
  unset.keep_recorded_url = true;
  EXPECT_TRUE(run_until(unset, [] { return true; }));
  hooks = client_->ListWebhooks(kDelta);
  ASSERT_TRUE(hooks.ok()) << hooks.status().ToString();
  ASSERT_EQ(hooks->size(), 1u);
  EXPECT_EQ((*hooks)[0].id, hook);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_events WHERE kind = 'webhook_recreated'"), "1");
  ExpectClean(Verify(kDelta));
}

// A stop ends the service's wait between steps at once: it waits on a
// ManualClock that never moves, so nothing but the stop (or a ping) can end
// that wait, and Run returns with the clock where it started.
TEST_F(SyncServiceTest, AStopEndsTheWaitBetweenStepsWithoutTheClockMoving) {
  StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
  ASSERT_TRUE(Run(kDelta).ok());
  daemon::SyncServiceOptions options = DeltaService();
  ManualClock clock;
  const Clock::time_point start = clock.Now();
  options.clock = &clock;
  std::atomic<int> steps{0};
  options.on_step = [&](const sync::StepReport&) { ++steps; };
  std::stop_source stop;
  auto run = std::async(std::launch::async, [&] {
    return daemon::RunSyncService(*client_, options, stop.get_token());
  });
  // A step ran and the service sleeps until the next one is due.
  ASSERT_TRUE(testing::WaitFor([&] { return steps > 0 && clock.waiters() == 1; },
                               std::chrono::seconds(30)));
  ASSERT_TRUE(clock.NextDeadline().has_value());
  EXPECT_GT(*clock.NextDeadline(), start);
  stop.request_stop();
  ASSERT_EQ(run.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  Status result = run.get();
  EXPECT_TRUE(result.ok()) << result.ToString();
  EXPECT_EQ(clock.Now(), start);
}

// Postgres restarted under a running sync (fast shutdown: the service's
// session is cut mid-wait): a change made while it is down arrives once it is
// back, the service never stops, and it says on /metrics that it reconnected.
// The cluster is the test's own, so the restart touches no other test.
TEST_F(SyncServiceTest, ReconnectsAfterPostgresRestartsAndGoesOn) {
  StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
  auto cluster = pg::testing::TestCluster::Create();
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  const std::string conninfo = cluster->admin_url();
  {
    auto conn = pg::Connection::Open(conninfo);
    ASSERT_TRUE(conn.ok());
    migrate::MigrateOptions migrate_options;
    migrate_options.base_id = kDelta;
    auto migrated = migrate::Migrate(*client_, *conn, conninfo, migrate_options);
    ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
  }
  daemon::SyncServiceOptions options;
  options.base_id = kDelta;
  options.conninfo = conninfo;
  options.loopback_pings = true;
  // A ping lost while Postgres is down is made up by the payload read.
  options.syncer.payload_interval = std::chrono::milliseconds(500);
  std::atomic<int> port{0};
  options.on_listening = [&](int p) { port = p; };
  std::stop_source stop;
  Status result;
  std::thread service(
      [&] { result = daemon::RunSyncService(*client_, options, stop.get_token()); });
  auto notes_of = [&](const std::string& record) {
    auto conn = pg::Connection::Open(conninfo);
    if (!conn.ok()) return std::string();
    auto rows = conn->Exec(
        "SELECT notes FROM delta_analytics_registration_tracking.clients WHERE airtable_id = $1",
        {record});
    return rows.ok() && rows->size() == 1 ? std::string(rows->Get(0, 0)) : std::string();
  };
  auto change = [&](const std::string& record, const std::string& notes) {
    Control("PATCH", std::string("ui/") + kDelta + "/Clients/" + record,
            {{"fields", {{"Notes", notes}}}});
  };
  const auto deadline = std::chrono::seconds(30);
  change("recCliSolaris001", "Before the restart");
  ASSERT_TRUE(testing::WaitFor([&] { return notes_of("recCliSolaris001") == "Before the restart"; },
                               deadline));

  ASSERT_TRUE(cluster->Stop().ok());
  change("recCliHarbor0001", "While Postgres was down");
  ASSERT_TRUE(cluster->Start().ok());
  EXPECT_TRUE(testing::WaitFor(
      [&] { return notes_of("recCliHarbor0001") == "While Postgres was down"; }, deadline));
  change("recCliSolaris001", "After the restart");
  EXPECT_TRUE(testing::WaitFor([&] { return notes_of("recCliSolaris001") == "After the restart"; },
                               deadline));

  // The base's lease came back with Postgres (its session had ended with
  // the restart): a second sync of the base is still refused.
  daemon::SyncServiceOptions second = options;
  second.lease_wait = std::chrono::milliseconds(200);
  second.serve_endpoints = false;
  second.on_listening = nullptr;
  std::stop_source second_stop;
  Status refused = daemon::RunSyncService(*client_, second, second_stop.get_token());
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition) << refused.ToString();
  EXPECT_NE(refused.message().find("is already being synced by airpg sync pid"), std::string::npos)
      << refused.ToString();

  http::Client http;
  auto metrics = http.Send("GET", fmt::format("http://127.0.0.1:{}/metrics", port.load()), {}, "");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("airpg_postgres_reconnects_total{base=\"appDeltaAnalytic1\"} 1"),
            std::string::npos)
      << metrics->body;
  stop.request_stop();
  service.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
  auto conn = pg::Connection::Open(conninfo);
  ASSERT_TRUE(conn.ok());
  auto verified = migrate::VerifyBase(*client_, *conn, kDelta);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  ExpectClean(verified->report);
}

// The sync's lease session ended under it (a DBA's pg_terminate_backend, a
// network cut: what a Postgres restart does too) and another session took
// the base before the sync noticed: the sync must stop, naming the holder,
// not go on beside it.
TEST_F(SyncServiceTest, ASyncWhoseBaseWasTakenOverWhileItsLeaseWasGoneStops) {
  StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
  ASSERT_TRUE(Run(kDelta).ok());
  daemon::SyncServiceOptions options = DeltaService();
  options.syncer.payload_interval = std::chrono::milliseconds(200);
  options.lease_wait = std::chrono::milliseconds(300);
  std::atomic<int> steps{0};
  options.on_step = [&](const sync::StepReport&) { ++steps; };
  std::stop_source stop;
  Status result;
  std::atomic<bool> ended{false};
  std::thread service([&] {
    result = daemon::RunSyncService(*client_, options, stop.get_token());
    ended = true;
  });
  ASSERT_TRUE(
      testing::WaitFor([&] { return steps.load() > 0 || ended.load(); }, std::chrono::seconds(30)));
  // End the lease session, and queue for its lock at once: the lock goes to
  // the waiting session as the old one exits, before the sync can ask again.
  auto terminated = conn().Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
      "current_database() AND application_name LIKE 'airpg sync %'");
  ASSERT_TRUE(terminated.ok()) << terminated.status().ToString();
  ASSERT_EQ(terminated->size(), 1);
  ASSERT_TRUE(
      conn().Run("SELECT pg_advisory_lock(hashtext('airpg.sync'), hashtext($1))", {kDelta}).ok());
  EXPECT_TRUE(testing::WaitFor([&] { return ended.load(); }, std::chrono::seconds(30)));
  stop.request_stop();
  service.join();
  EXPECT_EQ(result.code(), StatusCode::kFailedPrecondition) << result.ToString();
  EXPECT_NE(result.message().find("is already being synced by Postgres session"), std::string::npos)
      << result.ToString();
}

// Airtable answering 503 to the first `failures` schema reads (the Meta API).
class FailSchemaReads : public airtable::Transport {
 public:
  explicit FailSchemaReads(int failures) : left_(failures) {}
  Result<http::Response> Send(const airtable::HttpCall& call) override {
    if (call.url.find("/v0/meta/bases/") != std::string::npos && left_.fetch_sub(1) > 0) {
      ++failed;
      http::Response failure;
      failure.status = 503;
      failure.body = R"({"error":{"type":"SERVICE_UNAVAILABLE","message":"try later"}})";
      return failure;
    }
    return real_.Send(call);
  }
  std::atomic<int> failed{0};

 private:
  std::atomic<int> left_;
  airtable::CurlTransport real_;
};

// Airtable failing when the daemon starts (more 503s than the client's own
// retries take): `airpg sync` waits for it and starts, instead of exiting.
TEST_F(SyncServiceTest, AnAirtableOutageAtStartIsWaitedOut) {
  StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
  ASSERT_TRUE(Run(kDelta).ok());
  auto transport = std::make_unique<FailSchemaReads>(8);  // the client tries 1 + 3 times a call
  FailSchemaReads& failing = *transport;
  auto client_through = ClientThrough(std::move(transport));
  airtable::Client& client = *client_through;
  daemon::SyncServiceOptions options;
  options.base_id = kDelta;
  options.conninfo = url();
  options.serve_endpoints = false;
  std::stop_source stop;
  std::atomic<int> steps{0};
  options.on_step = [&](const sync::StepReport&) { ++steps; };
  Status result;
  std::thread service([&] { result = daemon::RunSyncService(client, options, stop.get_token()); });
  EXPECT_TRUE(testing::WaitFor([&] { return steps.load() > 0; }, std::chrono::seconds(30)));
  EXPECT_EQ(failing.failed.load(), 8);
  stop.request_stop();
  service.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
}

// Airtable answering 500 to every webhook creation until `allow` is set.
class RefuseWebhookCreation : public airtable::Transport {
 public:
  Result<http::Response> Send(const airtable::HttpCall& call) override {
    if (!allow && call.method == "POST" && call.url.ends_with("/webhooks")) {
      ++refused;
      http::Response failed;
      failed.status = 500;
      failed.body = R"({"error":{"type":"SERVER_ERROR","message":"Server error"}})";
      return failed;
    }
    return real_.Send(call);
  }
  std::atomic<bool> allow{false};
  std::atomic<int> refused{0};

 private:
  airtable::CurlTransport real_;
};

// Airtable refuses to create the webhook while the sync starts: the service
// asks again on its next turns (not at the next 15-minute check), and since
// the new hook has no payloads for what changed before it existed, a safety
// poll and a delete sweep find those changes at once (their own turns are
// 10 minutes and an hour away here).
TEST_F(SyncServiceTest, AWebhookRefusedAtStartIsCreatedSoonAfterAndMissedChangesAreCaughtUp) {
  StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
  ASSERT_TRUE(Run(kDelta).ok());
  auto transport = std::make_unique<RefuseWebhookCreation>();
  RefuseWebhookCreation& refusing = *transport;
  auto client_through = ClientThrough(std::move(transport));
  airtable::Client& client = *client_through;

  daemon::SyncServiceOptions options = DeltaService();
  options.syncer.payload_interval = std::chrono::milliseconds(200);
  options.syncer.sweep.max_share = 1.0;  // one of two documents goes
  std::mutex mu;
  std::condition_variable stepped;
  int steps = 0;
  options.on_step = [&](const sync::StepReport&) {
    std::lock_guard lock(mu);
    ++steps;
    stepped.notify_all();
  };
  std::stop_source stop;
  Status result;
  std::thread service([&] { result = daemon::RunSyncService(client, options, stop.get_token()); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto wait_for_step = [&](const std::function<bool()>& done) {
    std::unique_lock lock(mu);
    for (int seen = steps; !done();) {
      if (!stepped.wait_until(lock, deadline, [&] { return steps > seen; })) return done();
      seen = steps;
    }
    return true;
  };
  // The first step ran without a hook.
  EXPECT_TRUE(wait_for_step([&] { return steps > 0; }));
  EXPECT_GE(refusing.refused.load(), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_bases WHERE webhook_id IS NOT NULL"), "0");

  // Changes no payload of the coming hook will name; then Airtable recovers.
  Control("PATCH", std::string("ui/") + kDelta + "/Clients/recCliHarbor0001",
          {{"fields", {{"Notes", "Before the hook"}}}});
  Control("DELETE", std::string("ui/") + kDelta + "/Documents/recDocBpNyApp0001");
  refusing.allow = true;
  const std::string schema = "delta_analytics_registration_tracking";
  EXPECT_TRUE(wait_for_step([&] {
    return Scalar("SELECT notes FROM " + schema +
                  ".clients WHERE airtable_id = "
                  "'recCliHarbor0001'") == "Before the hook" &&
           Scalar("SELECT deleted_at IS NOT NULL FROM " + schema +
                  ".documents WHERE "
                  "airtable_id = 'recDocBpNyApp0001'") == "t";
  }));
  // And the hook's pings bring what changes after it.
  Control("PATCH", std::string("ui/") + kDelta + "/Clients/recCliSolaris001",
          {{"fields", {{"Notes", "After the hook"}}}});
  EXPECT_TRUE(wait_for_step([&] {
    return Scalar("SELECT notes FROM " + schema +
                  ".clients WHERE airtable_id = "
                  "'recCliSolaris001'") == "After the hook";
  }));
  stop.request_stop();
  service.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_bases WHERE webhook_id IS NOT NULL"), "1");
  ExpectClean(Verify(kDelta));
}

}  // namespace
}  // namespace airpg
