// Issue 17: the official airtable.js suite (airtable_js.test.js, unchanged
// but for AIRTABLE_ADMIN_URL) against `airpg serve` with its sync, as
// cmd_serve wires them: the API (tokens required; the suite's key is a real
// token made by api::CreateToken) on its own port, and the base's
// SyncService — inbound sync through loopback pings and the two-way outbox,
// every table's authority `both` — on a thread, against the emulator.
//
// The suite's control calls (AIRTABLE_ADMIN_URL) go to this test's admin
// server, which stands for "the system under test" as the emulator alone
// does in the emulator's run:
//   reset  → first checks what the previous test left (below), then stops
//            the sync, resets the emulator, migrates the base again (so
//            Postgres starts each test equal to Airtable) and starts the
//            sync again, waiting until its write guard and capture are on;
//   faults, stats → serve's opt-in fault injection (api/fault_injection.h),
//            so the 429 tests exercise the client's retry against airpg in
//            every mode.
// What each reset checks of the test before it:
//   postgres → the outbox drains with nothing dead, and verify finds
//            Postgres and Airtable level: every write the suite made in
//            Postgres reached Airtable;
//   shadow   → every shadow diff recorded is explained: it names a record
//            that test wrote (through Airtable; the sync brings the write to
//            Postgres a moment later, and a read in between sees the lag).
//            A diff on any other record fails the test.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "api/api_service.h"
#include "api/fault_injection.h"
#include "api/routes.h"
#include "api/tokens.h"
#include "base/subprocess.h"
#include "daemon/sync_service.h"
#include "http/client.h"
#include "http/server.h"
#include "sync/proxied_writes.h"
#include "tests/integration/emulated_base_test.h"
#include "tests/integration/free_port.h"
#include "tests/integration/wait_for.h"

namespace airpg::testing {
namespace {

using std::chrono::milliseconds;

constexpr char kBase[] = "appConform0000001";

class ServeConformanceTest : public EmulatedBaseTest {
 protected:
  void TearDown() override {
    StopSync();
    EmulatedBaseTest::TearDown();
  }

  void StartServe(api::RouteMode mode) {
    mode_ = mode;
    data_ = json::parse(ReadFile(AIRPG_CONFORMANCE_DIR "/data.json"));
    StartEmulator(data_.dump());
    Status migrated = Migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.ToString();
    auto token =
        api::CreateToken(conn(), "conformance", {kBase},
                         {std::string(api::kScopeRecordsRead), std::string(api::kScopeRecordsWrite),
                          std::string(api::kScopeSchemaRead)});
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    token_ = *token;
    api::ApiServiceOptions options;
    options.base_ids = {kBase};
    options.conninfo = url();
    options.require_tokens = true;
    options.default_mode = mode;
    options.upstream = client_.get();
    // As `airpg serve` wires it (cli/cmd_serve.cc): a proxied write is in
    // Postgres when acknowledged, so the shadow read after it agrees.
    options.on_proxied_write = [](pg::Connection& conn, const std::string& base_id,
                                  const std::string& table_id, const api::ProxiedChanges& changes) {
      return sync::ApplyProxiedWrite(conn, base_id, table_id, changes.upserts, changes.destroyed,
                                     changes.sent_at);
    };
    // A reset migrates the base again: the next request reads the new plan.
    options.plan_ttl = milliseconds(0);
    api_ = std::make_unique<api::ApiService>(options);
    sync_port_ = FreePort();
    StartSync();
    http::Server::Options server_options;
    server_options.threads = 4;
    ASSERT_TRUE(server_
                    .Start(server_options,
                           [this](const http::Request& request) {
                             if (auto fault = faults_.Intercept(request)) return *fault;
                             return api_->Handle(request);
                           })
                    .ok());
    ASSERT_TRUE(
        admin_
            .Start(server_options, [this](const http::Request& request) { return Admin(request); })
            .ok());
  }

  // Migrates the base on a connection of its own: a migration holds the
  // base's lock for its session's life (as the `airpg migrate` process
  // does), and the sync's schema changes wait for that lock.
  Status Migrate() {
    AIRPG_ASSIGN_OR_RETURN(pg::Connection own, pg::Connection::Open(url()));
    migrate::MigrateOptions options;
    options.base_id = kBase;
    return migrate::Migrate(*client_, own, url(), options).status();
  }

  // The base's sync as `airpg serve` runs it (cmd_serve.cc), with every
  // table writable from Postgres; returns once its guard and capture are on.
  void StartSync() {
    daemon::SyncServiceOptions so;
    so.base_id = kBase;
    so.conninfo = url();
    so.loopback_pings = true;
    so.endpoints.host = "127.0.0.1";
    so.endpoints.port = sync_port_;  // one port: the hook is kept across restarts
    so.authority.authority = sync::Authority::kBoth;
    so.outbox.claim.debounce = milliseconds(0);
    so.outbox.retry_initial = milliseconds(50);
    // The suite destroys 3 of 8 records at once: a deliberate delete.
    so.syncer.sweep.max_share = 1;
    so.outbox.max_delete_share = 1;
    sync_status_ = Status::Ok();
    sync_ = std::jthread([this, so](std::stop_token stop) {
      Status s = daemon::RunSyncService(*client_, so, stop);
      std::lock_guard lock(mu_);
      sync_status_ = s;
    });
    bool guarded = WaitFor(
        [&] {
          return Scalar("SELECT count(*) FROM pg_trigger WHERE tgname = 'airpg_capture'") != "0" &&
                 Scalar("SELECT count(*) FROM airpg.sync_authority WHERE base_id = '" +
                        std::string(kBase) + "' AND authority = 'both'") == "2";
        },
        milliseconds(30000));
    std::lock_guard lock(mu_);
    ASSERT_TRUE(guarded) << "the sync did not install its guard: " << sync_status_.ToString();
  }

  void StopSync() {
    if (!sync_.joinable()) return;
    sync_.request_stop();
    sync_.join();
    std::lock_guard lock(mu_);
    // A stop that ends a wait (for Airtable, for Postgres) is a cancel.
    EXPECT_TRUE(sync_status_.ok() || sync_status_.code() == StatusCode::kCancelled)
        << sync_status_.ToString();
  }

  // The suite's /__emulator/{reset,faults,stats} calls (see the file comment).
  http::Response Admin(const http::Request& request) {
    std::string what = request.target.substr(request.target.rfind('/') + 1);
    http::Client http;
    if (what == "reset") {
      CheckWhatTheTestLeft();
      StopSync();
      Control("POST", "reset", json::object());
      Status migrated = Migrate();
      if (!migrated.ok()) {
        ADD_FAILURE() << "re-migrate: " << migrated.ToString();
        return http::Response{500, "application/json", {}, "{}"};
      }
      StartSync();
      ++resets_;
      return http::Response{200, "application/json", {}, "{}"};
    }
    auto answer = http.Send(request.method, ServeUrl() + api::FaultInjection::kPrefix + what,
                            {{"Content-Type", "application/json"}}, request.body);
    if (!answer.ok()) return http::Response{502, "application/json", {}, "{}"};
    return http::Response{answer->status, "application/json", {}, answer->body};
  }

  // Before a reset, and once the suite has ended.
  void CheckWhatTheTestLeft() {
    if (mode_ == api::RouteMode::kPostgres) ExpectWritesReachedAirtable();
    if (mode_ == api::RouteMode::kShadow) ExpectShadowDiffsExplained();
  }

  // Postgres mode: the outbox drains, nothing is dead, verify is clean.
  void ExpectWritesReachedAirtable() {
    bool drained = WaitFor(
        [&] { return Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'pending'") == "0"; },
        milliseconds(30000));
    EXPECT_TRUE(drained) << "the outbox did not drain";
    EXPECT_EQ(Scalar("SELECT coalesce(string_agg(format('%s %s: %s', operation, table_name, "
                     "last_error), ' | '), '') FROM airpg.outbox WHERE status = 'dead' AND "
                     "outbox_id > " +
                     std::to_string(outbox_seen_)),
              "")
        << "dead changes (test " << resets_ << ")";
    outbox_seen_ = std::stoll(Scalar("SELECT coalesce(max(outbox_id), 0) FROM airpg.outbox"));
    outbox_changes_ = std::stoll(Scalar("SELECT count(*) FROM airpg.outbox"));
    // Level once the sync has mirrored what the pushes brought back (the
    // `airpg key` field the first create adds, its echoes).
    migrate::VerifyReport report;
    bool clean = WaitFor(
        [&] {
          auto verified = migrate::VerifyBase(*client_, conn(), kBase);
          if (!verified.ok()) return false;
          report = verified->report;
          return report.clean();
        },
        milliseconds(30000));
    EXPECT_TRUE(clean) << "verify after test " << resets_;
    if (!clean) {
      ExpectClean(report);
      ADD_FAILURE() << "catalog: "
                    << Scalar(
                           "SELECT string_agg(f.airtable_name || '=' || f.column_name || ':' || "
                           "f.storage, ', ') FROM airpg.fields f WHERE f.table_id = "
                           "'tblArtists0000001'")
                    << "\ncolumns: "
                    << Scalar(
                           "SELECT string_agg(column_name, ', ') FROM "
                           "information_schema.columns WHERE table_name = (SELECT table_name "
                           "FROM airpg.tables WHERE table_id = 'tblArtists0000001')")
                    << "\nschemas: "
                    << Scalar(
                           "SELECT string_agg(DISTINCT table_schema, ', ') FROM "
                           "information_schema.columns WHERE table_name = (SELECT table_name "
                           "FROM airpg.tables WHERE table_id = 'tblArtists0000001')");
    }
    ++verified_;
  }

  // The record ids the test wrote: those whose fields differ from the data
  // file's, and those made or deleted.
  std::set<std::string> RecordsWritten() {
    std::set<std::string> out;
    for (const json& table : data_["bases"][0]["tables"]) {
      std::map<std::string, json> original;
      for (const json& r : table["records"]) original[r["id"]] = r["fields"];
      json now = Control("GET", std::string("ui/") + kBase + "/" + table["id"].get<std::string>() +
                                    "?pageSize=100");
      for (const json& r : now["records"]) {
        auto o = original.find(r["id"]);
        if (o == original.end() || o->second != r["fields"]) out.insert(r["id"]);
        if (o != original.end()) original.erase(o);
      }
      for (const auto& [id, fields] : original) out.insert(id);
    }
    return out;
  }

  // Shadow mode: each diff since the last check names a record the test wrote.
  void ExpectShadowDiffsExplained() {
    api_->DrainShadow();
    std::set<std::string> written = RecordsWritten();
    auto rows = conn().Exec(
        "SELECT id, record_id, request, field, coalesce(airtable_value, 'absent'), "
        "coalesce(postgres_value, 'absent') FROM airpg.shadow_diffs WHERE id > $1 ORDER BY id",
        {std::to_string(diffs_seen_)});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    for (int i = 0; i < rows->size(); ++i) {
      diffs_seen_ = std::stoll(std::string(rows->Get(i, 0)));
      ++diffs_;
      if (written.contains(std::string(rows->Get(i, 1)))) {
        ++diffs_explained_;
        continue;
      }
      ADD_FAILURE() << "shadow diff on a record the test did not write (test " << resets_
                    << "): " << rows->Get(i, 2) << " " << rows->Get(i, 1) << " field '"
                    << rows->Get(i, 3) << "': Airtable " << rows->Get(i, 4) << ", Postgres "
                    << rows->Get(i, 5);
    }
  }

  std::string ServeUrl() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

  // Runs the suite's tests whose names match `pattern`; their output on failure.
  void RunSuite(const std::string& pattern, size_t tests) {
    ProcessOptions options;
    options.env["AIRTABLE_ENDPOINT_URL"] = ServeUrl();
    options.env["AIRTABLE_ADMIN_URL"] = "http://127.0.0.1:" + std::to_string(admin_.port());
    options.env["AIRTABLE_API_KEY"] = token_;
    options.timeout = std::chrono::seconds(300);
    auto out = RunProcess({"node", "--test", "--test-name-pattern=" + pattern,
                           AIRPG_CONFORMANCE_DIR "/airtable_js.test.js"},
                          options);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->exit_code, 0) << out->out << out->err;
    EXPECT_NE(out->out.find("# pass " + std::to_string(tests) + "\n"), std::string::npos)
        << out->out;
    EXPECT_NE(out->out.find("# fail 0\n"), std::string::npos) << out->out;
    CheckWhatTheTestLeft();  // the last test's
  }

  api::RouteMode mode_ = api::RouteMode::kAirtable;
  json data_;
  std::string token_;
  int sync_port_ = 0;
  std::mutex mu_;
  Status sync_status_;  // guarded by mu_
  std::jthread sync_;
  api::FaultInjection faults_;
  std::unique_ptr<api::ApiService> api_;
  http::Server server_;  // stops before api_ is destroyed (declared after it)
  http::Server admin_;
  // What the checks saw (admin thread while node runs, then the test's).
  int resets_ = 0, verified_ = 0;
  int64_t outbox_seen_ = 0, outbox_changes_ = 0;
  int64_t diffs_seen_ = 0, diffs_ = 0, diffs_explained_ = 0;
};

// The suite has 13 tests; every mode runs them all (--test-name-pattern=.*).
constexpr size_t kSuiteTests = 13;

TEST_F(ServeConformanceTest, PostgresModeRunsTheSuiteAndItsWritesReachAirtable) {
  StartServe(api::RouteMode::kPostgres);
  RunSuite(".*", kSuiteTests);
  EXPECT_EQ(api_->stats().proxied, 0u);  // reads and writes answered from Postgres
  EXPECT_EQ(faults_.injected(), 2);      // the two 429 tests, answered by serve
  EXPECT_EQ(verified_, resets_ + 1);     // after every test
  EXPECT_GT(outbox_changes_, 0);         // the writes went through the outbox
  std::cout << "[ outbox   ] " << outbox_changes_ << " changes sent, verify checked after "
            << verified_ << " tests\n";
}

TEST_F(ServeConformanceTest, AirtableModeProxies) {
  StartServe(api::RouteMode::kAirtable);
  RunSuite(".*", kSuiteTests);
  EXPECT_GT(api_->stats().proxied, 0u);
}

TEST_F(ServeConformanceTest, ShadowModeServesAirtableAndEveryDiffIsExplained) {
  StartServe(api::RouteMode::kShadow);
  RunSuite(".*", kSuiteTests);
  EXPECT_GT(api_->stats().shadow_compared, 0u);
  std::cout << "[ shadow   ] " << api_->stats().shadow_compared << " reads compared, " << diffs_
            << " diffs, each on a record its test had just written (" << diffs_explained_ << ")\n";
}

}  // namespace
}  // namespace airpg::testing
