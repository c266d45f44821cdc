// The migration commands as a user runs them: `schema plan` from a Meta API
// file, then `migrate`, `verify` and `runs` against an in-process emulator
// serving emulator/samples/delta_analytics.json and a throwaway database.
#include <memory>
#include <optional>

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include <csignal>

#include "airpg_process.h"
#include "child_process.h"
#include "emulator/emulator.h"
#include "http/client.h"
#include "pg/connection.h"
#include "pg/testing/test_cluster.h"
#include "wait_for.h"

namespace airpg::testing {
namespace {

constexpr const char* kBase = "appDeltaAnalytic1";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(CliMigrateTest, HelpOnEveryCommand) {
  AirpgProcess airpg;
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"schema", "plan", "--help"},
                                             {"migrate", "--help"},
                                             {"verify", "--help"},
                                             {"rollback", "--help"},
                                             {"runs", "--help"}}) {
    ProcessOutput help = airpg.Run(args);
    EXPECT_EQ(help.exit_code, 0) << args.front();
    EXPECT_TRUE(Contains(help.out, "Usage:")) << help.out;
  }
}

TEST(CliMigrateTest, SchemaPlanFromFilePrintsDdl) {
  AirpgProcess airpg;
  ProcessOutput plan =
      airpg.Run({"schema", "plan", "--schema-file",
                 std::string(AIRPG_FIXTURES_DIR) + "/meta/base_schema_art_gallery_real.json",
                 "--schema", "gallery"});
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_TRUE(Contains(plan.out, "CREATE TABLE \"gallery\".")) << plan.out;
}

TEST(CliMigrateTest, MissingBaseIdExitsTwo) {
  AirpgProcess airpg;
  airpg.SetEnv("AIRPG_AIRTABLE_BASE_ID", std::nullopt);
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"migrate"}, {"verify"}, {"rollback"}, {"schema", "plan"}}) {
    ProcessOutput out = airpg.Run(args);
    EXPECT_EQ(out.exit_code, 2) << args.front();
    EXPECT_TRUE(Contains(out.err, "--base")) << out.err;
    EXPECT_EQ(Lines(out.err).size(), 1u) << out.err;
  }
}

// The Delta sample in the in-process emulator, a fresh database, and the
// environment that points airpg at both.
struct DeltaSetup {
  std::unique_ptr<emulator::Emulator> emulator;
  std::optional<pg::testing::TestDatabase> db;
};

void StartDelta(DeltaSetup& setup, AirpgProcess& airpg) {
  emulator::EmulatorOptions options;
  options.data_path = std::string(AIRPG_EMULATOR_SAMPLES_DIR) + "/delta_analytics.json";
  options.rate_limits = false;
  auto emulator = emulator::Emulator::Start(options);
  ASSERT_TRUE(emulator.ok()) << emulator.status().ToString();
  setup.emulator = std::move(emulator).value();
  auto db = pg::testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  setup.db.emplace(std::move(db).value());
  airpg.SetEnv("DATABASE_URL", setup.db->url());
  airpg.SetEnv("AIRTABLE_ENDPOINT_URL", setup.emulator->url());
  airpg.SetEnv("AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt);
  airpg.SetEnv("AIRTABLE_TOKEN", "patCliMigrateTest");
}

TEST(CliMigrateTest, MigrateVerifyRunsAgainstTheEmulator) {
  AirpgProcess airpg;
  DeltaSetup setup;
  ASSERT_NO_FATAL_FAILURE(StartDelta(setup, airpg));

  ProcessOutput migrate = airpg.Run({"migrate", "--base", kBase});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  EXPECT_TRUE(Contains(migrate.out, "Total import time")) << migrate.out;
  EXPECT_TRUE(Contains(migrate.out, "verify:        clean")) << migrate.out;

  // The base id can come from the environment too.
  airpg.SetEnv("AIRPG_AIRTABLE_BASE_ID", kBase);
  ProcessOutput verify = airpg.Run({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, "verify: clean")) << verify.out;

  ProcessOutput runs = airpg.Run({"runs", "--output", "json"});
  EXPECT_EQ(runs.exit_code, 0) << runs.err;
  EXPECT_TRUE(Contains(runs.out, "\"status\": \"swapped\"")) << runs.out;
  ProcessOutput runs_text = airpg.Run({"runs"});
  EXPECT_EQ(runs_text.exit_code, 0) << runs_text.err;
  EXPECT_TRUE(Contains(runs_text.out, kBase)) << runs_text.out;
}

// `airpg sync` as a user runs it: a change in Airtable arrives through the
// ping, `airpg status` reports it, SIGTERM stops it cleanly (exit 0), and
// `airpg dlq list` has nothing to say.
TEST(CliSyncTest, SyncBringsAChangeInAndStopsCleanlyOnSigterm) {
  AirpgProcess airpg;
  DeltaSetup setup;
  ASSERT_NO_FATAL_FAILURE(StartDelta(setup, airpg));
  auto& db = setup.db;
  auto* emulator = &setup.emulator;
  airpg.SetEnv("AIRPG_AIRTABLE_BASE_ID", kBase);
  ProcessOutput migrate = airpg.Run({"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;

  // Lanes come from the configuration; a table the base lacks is refused.
  const auto config = airpg.home() / "airpg.yaml";
  std::ofstream(config) << "sync:\n  tables:\n    Stafff: {lane: fast}\n";
  airpg.SetEnv("AIRPG_CONFIG", config.string());
  ProcessOutput refused = airpg.Run({"sync", "--loopback-pings"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_TRUE(Contains(refused.err, "sync.tables.Stafff: the base has no such table"))
      << refused.err;
  std::ofstream(config) << "sync:\n  tables:\n    Staff: {lane: fast}\n";

  auto sync = airpg.Start({"sync", "--loopback-pings"}, "sync");
  ASSERT_NE(sync, nullptr);
  auto conn = pg::Connection::Open(db->url());
  ASSERT_TRUE(conn.ok());
  auto scalar = [&](const std::string& sql) {
    auto rows = conn->Exec(sql);
    return rows.ok() && rows->size() > 0 ? std::string(rows->Get(0, 0)) : std::string();
  };
  // The hook exists once the service has started, and its first step (every
  // table polled and swept) is over, so the change below can only come in
  // through the ping — the lag `airpg status` reports: no table is due for a
  // poll for 10 s or more. (The sync's first requests wait for the migrate's
  // last ones to leave Airtable's window, so that step can outlast the hook's
  // creation by seconds.)
  ASSERT_TRUE(WaitFor(
      [&] {
        return scalar("SELECT count(*) FROM airpg.sync_bases WHERE webhook_id IS NOT NULL") ==
                   "1" &&
               scalar(
                   "SELECT count(*) FILTER (WHERE last_sweep_at IS NOT NULL) FROM "
                   "airpg.sync_tables") == "5";
      },
      std::chrono::seconds(30)))
      << sync->Stderr();
  http::Client http;
  auto patched = http.Send(
      "PATCH", (*emulator)->url() + "/__emulator/ui/" + kBase + "/Clients/recCliHarbor0001",
      {{"Content-Type", "application/json"}}, R"({"fields":{"Notes":"From the CLI sync"}})");
  ASSERT_TRUE(patched.ok() && patched->status == 200);
  const std::string query =
      "SELECT notes FROM delta_analytics_registration_tracking.clients WHERE airtable_id = "
      "'recCliHarbor0001'";
  EXPECT_TRUE(
      WaitFor([&] { return scalar(query) == "From the CLI sync"; }, std::chrono::seconds(30)))
      << sync->Stderr();
  sync->Signal(SIGTERM);
  auto ended = sync->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->exit_code, 0) << sync->Stderr();

  ProcessOutput status = airpg.Run({"status", "--output", "json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(Contains(status.out, "\"p99\"")) << status.out;
  // The clients table's own lag (the change was there), none for the others;
  // staff in the fast lane, as configured.
  auto status_json = nlohmann::json::parse(status.out, nullptr, false);
  for (const auto& table : status_json["tables"]) {
    EXPECT_EQ(table["lag_ms"].is_object(), table["table"] == "clients") << table.dump();
    EXPECT_EQ(table["lane"], table["table"] == "staff" ? "fast" : "normal") << table.dump();
  }
  EXPECT_TRUE(Contains(status.out, "\"clients\"")) << status.out;
  ProcessOutput dlq = airpg.Run({"dlq", "list"});
  EXPECT_EQ(dlq.exit_code, 0) << dlq.err;
  EXPECT_TRUE(Contains(dlq.out, "no dead letters")) << dlq.out;
  ProcessOutput verify = airpg.Run({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace airpg::testing
