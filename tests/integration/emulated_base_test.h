// The fixture of the integration tests that migrate a base: the in-process
// emulator serving a data file, the test's own Postgres database, a client
// with a generous pacer, and helpers to migrate, verify and query. Its
// TwoWayBaseTest adds the set-up of the two-way sync tests (authority,
// guard, dispatcher connection, webhook, dispatch rounds, payload cycles).
// Tests only; single-thread.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "airpg_process.h"
#include "airtable/client.h"
#include "emulator/emulator.h"
#include "http/client.h"
#include "migrate/migrator.h"
#include "migrate/verify.h"
#include "pg/testing/pg_test.h"
#include "sync/authority.h"
#include "sync/live_schema.h"
#include "sync/outbox_dispatcher.h"
#include "sync/payload_cycle.h"
#include "sync/record_applier.h"
#include "sync/schema_sync.h"

namespace airpg::testing {

using nlohmann::json;

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class EmulatedBaseTest : public pg::testing::PgTest {
 protected:
  // Serves `data_json` (a data file, docs/emulator.md) without rate limits,
  // with a client whose pacer will not hold the tests back. `seed` seeds
  // the emulator's generated ids and fault rolls.
  void StartEmulator(const std::string& data_json, uint64_t seed = 20240101) {
    emulator::EmulatorOptions options;
    options.data_json = data_json;
    options.seed = seed;
    options.rate_limits = false;
    auto started = emulator::Emulator::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    emulator_ = std::move(started).value();
    airtable::PacerLimits limits;
    limits.per_base = 1000;
    limits.per_token = 1000;
    pacer_ = std::make_unique<airtable::Pacer>(limits);
    client_ = ClientThrough(std::make_unique<airtable::CurlTransport>());
  }

  // Another client of the emulator, with the fixture's pacer and retry
  // waits, whose requests go through `transport` (tests that fail or watch
  // some of them).
  std::unique_ptr<airtable::Client> ClientThrough(std::unique_ptr<airtable::Transport> transport) {
    airtable::ClientOptions client_options;
    client_options.endpoint_url = emulator_->url();
    client_options.token = "patMigrateTest000.0123456789abcdef";
    client_options.backoff.initial = std::chrono::milliseconds(5);
    client_options.backoff.max_delay = std::chrono::milliseconds(20);
    client_options.backoff.max_attempts = 3;
    return std::make_unique<airtable::Client>(client_options, *pacer_, std::move(transport));
  }

  // Serves `data_json` and migrates `base_id` from it on a connection of
  // the migration's own, closed after: migrate keeps the base's lock for its
  // session, which later schema changes of the test would wait for.
  void StartAndMigrate(const std::string& data_json, const std::string& base_id) {
    ASSERT_NO_FATAL_FAILURE(StartEmulator(data_json));
    ASSERT_NO_FATAL_FAILURE(MigrateOnOwnConnection(base_id));
  }

  // Migrates `base_id` from the running emulator on a connection of its own,
  // closed afterwards: migrate keeps the base's lock for its session.
  void MigrateOnOwnConnection(const std::string& base_id) {
    auto own = Connect();
    ASSERT_TRUE(own.ok()) << own.status().ToString();
    migrate::MigrateOptions options;
    options.base_id = base_id;
    auto migrated = migrate::Migrate(*client_, *own, url(), options);
    ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
  }

  // The real binary, run by `airpg`, works on this test's database and
  // emulator (not a configured endpoint), with `token` for Airtable.
  void UseTestBase(AirpgProcess& airpg, const std::string& token) {
    airpg.SetEnv("DATABASE_URL", url());
    airpg.SetEnv("AIRTABLE_ENDPOINT_URL", emulator_->url());
    airpg.SetEnv("AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt);
    airpg.SetEnv("AIRTABLE_TOKEN", token);
  }

  json Control(const std::string& method, const std::string& path, const json& body = nullptr) {
    http::Client http;
    auto response =
        http.Send(method, emulator_->url() + "/__emulator/" + path,
                  {{"Content-Type", "application/json"}}, body.is_null() ? "" : body.dump());
    EXPECT_TRUE(response.ok());
    return response.ok() ? json::parse(response->body, nullptr, false) : json();
  }

  Result<migrate::MigrateSummary> Run(const std::string& base,
                                      migrate::MigrateOptions options = {}) {
    options.base_id = base;
    return migrate::Migrate(*client_, conn(), url(), options);
  }

  migrate::VerifyReport Verify(const std::string& base) {
    auto verified = migrate::VerifyBase(*client_, conn(), base);
    EXPECT_TRUE(verified.ok()) << verified.status().ToString();
    return verified.ok() ? verified->report : migrate::VerifyReport{};
  }

  std::string Scalar(const std::string& sql) {
    auto rows = conn().Exec(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    return rows.ok() && rows->size() > 0 ? std::string(rows->Get(0, 0)) : "";
  }

  static void ExpectClean(const migrate::VerifyReport& report) {
    EXPECT_TRUE(report.clean());
    for (const auto& t : report.tables) {
      for (const auto& e : t.examples) ADD_FAILURE() << t.table_name << ": " << e;
    }
  }

  std::unique_ptr<emulator::Emulator> emulator_;
  std::unique_ptr<airtable::Pacer> pacer_;
  std::unique_ptr<airtable::Client> client_;
};

// The set-up every two-way sync test repeated, for one base of the emulator
// (migrated by the test, which picks the connection): its authority stored
// with the write guard and capture installed, a connection of the
// dispatcher's own, airpg's webhook, and the sync's steps run one at a time.
class TwoWayBaseTest : public EmulatedBaseTest {
 protected:
  explicit TwoWayBaseTest(std::string base_id) : base_id_(std::move(base_id)) {}

  // Stores `config` as the base's authority (the guard and capture stay
  // the ones the swap installed); live_ is the base it loaded.
  void StoreAuthority(const sync::AuthorityConfig& config) {
    auto live = sync::LoadLiveBase(conn(), base_id_);
    ASSERT_TRUE(live.ok()) << live.status().ToString();
    live_ = *live;
    auto resolved = sync::ResolveAuthority(live_, config);
    ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
    ASSERT_TRUE(sync::StoreAuthority(conn(), live_, *resolved).ok());
  }

  // Stores `config` and installs the write guard and capture again, as the
  // sync does at start.
  void Configure(const sync::AuthorityConfig& config) {
    ASSERT_NO_FATAL_FAILURE(StoreAuthority(config));
    Status installed = sync::InstallWriteTriggers(conn(), live_);
    ASSERT_TRUE(installed.ok()) << installed.ToString();
  }

  // The dispatcher's own connection: its transactions must not share conn()'s.
  void OpenDispatchConnection() {
    auto opened = pg::Connection::Open(url());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    dispatch_conn_ = std::make_unique<pg::Connection>(std::move(opened).value());
  }

  // airpg's webhook (table data and fields) for the base, recorded in
  // airpg.sync_bases as the sync records it.
  void RegisterHook() {
    auto hook = client_->CreateWebhook(
        base_id_, "", R"({"options":{"filters":{"dataTypes":["tableData","tableFields"]}}})");
    ASSERT_TRUE(hook.ok()) << hook.status().ToString();
    ASSERT_TRUE(conn()
                    .Run("INSERT INTO airpg.sync_bases (base_id, webhook_id) VALUES ($1, $2) ON "
                         "CONFLICT (base_id) DO UPDATE SET webhook_id = EXCLUDED.webhook_id",
                         {base_id_, hook->id})
                    .ok());
  }

  // Dispatcher options that never wait (no debounce, link wait or retry
  // pause): a round sends whatever is due now.
  static sync::DispatchOptions NoWaitDispatch() {
    sync::DispatchOptions options;
    options.claim.owner = "test";
    options.claim.debounce = std::chrono::milliseconds(0);
    options.link_wait = std::chrono::milliseconds(0);
    options.retry_initial = std::chrono::milliseconds(0);
    return options;
  }

  // One dispatcher round on dispatch_conn_, writing through `writer`.
  Result<sync::DispatchReport> DispatchOnce(
      airtable::Client& writer, const sync::DispatchOptions& options = NoWaitDispatch()) {
    sync::OutboxDispatcher dispatcher(writer, *dispatch_conn_, base_id_, options);
    return dispatcher.RunOnce();
  }

  // Runs `round` until the outbox has nothing pending, at most 10 times (a
  // link waits a round for its target's id).
  void DrainOutbox(const std::function<void()>& round) {
    for (int i = 0; i < 10; ++i) {
      if (Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'pending'") == "0") return;
      round();
    }
    ADD_FAILURE() << "the outbox did not drain";
  }

  // The webhook payloads since the hook was made, applied as the sync
  // applies them, attachments stored through `attachments`; a schema change
  // (the cycle then applies nothing) is refreshed first, as the schema sync
  // would, and the cycle run again. The cycle that applied.
  sync::PayloadCycleResult ApplyPayloads(blobs::AttachmentSource attachments = {}) {
    auto live = sync::LoadLiveBase(conn(), base_id_);
    EXPECT_TRUE(live.ok()) << live.status().ToString();
    if (!live.ok()) return {};
    sync::RecordApplier applier(*live, attachments);
    auto cycle = sync::RunPayloadCycle(*client_, conn(), applier, *live);
    EXPECT_TRUE(cycle.ok()) << cycle.status().ToString();
    if (!cycle.ok()) return {};
    if (!cycle->needs_schema_refresh) return *cycle;
    auto refreshed = sync::RefreshLiveBase(*client_, conn(), *live, {});
    EXPECT_TRUE(refreshed.ok()) << refreshed.status().ToString();
    sync::RecordApplier again(*live, attachments);
    auto second = sync::RunPayloadCycle(*client_, conn(), again, *live);
    EXPECT_TRUE(second.ok()) << second.status().ToString();
    return second.ok() ? *second : sync::PayloadCycleResult{};
  }

  // The Postgres column of an Airtable field.
  std::string Column(const std::string& field_id) {
    return Scalar("SELECT column_name FROM airpg.fields WHERE field_id = '" + field_id + "'");
  }

  const std::string base_id_;
  sync::LiveBase live_;
  std::unique_ptr<pg::Connection> dispatch_conn_;
};

}  // namespace airpg::testing
