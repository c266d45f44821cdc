// The migration commands as a user runs them: `schema plan` from a Meta API
// file, then `migrate`, `verify` and `runs` against an in-process emulator
// serving emulator/samples/delta_analytics.json and a throwaway database.
#include <memory>
#include <optional>

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include <csignal>
#include <regex>

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

std::string Field(const std::string& text, const std::string& prefix) {
  for (const std::string& line : Lines(text)) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

// Issue 15: the summary counts records and cells apart; a dry run of a
// partial migration says what would change, writes nothing and gives no
// verify verdict; `runs` has ISO 8601 times with offsets, null for no data,
// a header, and exit 2 for a base it does not know; rollback --to and
// `runs abandon` from the command line.
TEST(CliMigrateTest, Issue15SummaryDryRunRunsRollbackToAndAbandon) {
  AirpgProcess airpg;
  DeltaSetup setup;
  ASSERT_NO_FATAL_FAILURE(StartDelta(setup, airpg));
  airpg.SetEnv("AIRPG_AIRTABLE_BASE_ID", kBase);

  // Checked before the run exists: an attachments directory that cannot be.
  const auto file = airpg.home() / "a-file";
  std::ofstream(file) << "x";
  ProcessOutput refused = airpg.Run({"migrate", "--attachments-dir", (file / "sub").string()});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  ProcessOutput none = airpg.Run({"runs", "--output", "json"});
  EXPECT_EQ(none.exit_code, 2) << none.out << none.err;  // the base has no run yet

  ProcessOutput first = airpg.Run({"migrate"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_EQ(Field(first.out, "records:"),
            "records:       17 read from Airtable, 17 imported, 0 set aside whole (airpg.rejects)")
      << first.out;
  EXPECT_TRUE(Contains(Field(first.out, "cells:"), "cells:         0 rejected")) << first.out;
  EXPECT_TRUE(Contains(first.out, "cells rejected")) << first.out;

  ProcessOutput dry = airpg.Run({"migrate", "--dry-run", "--tables", "Clients"});
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_FALSE(Contains(dry.out, "verify:")) << dry.out;
  EXPECT_TRUE(Contains(dry.out, "would change:")) << dry.out;
  EXPECT_TRUE(Contains(dry.out, "refresh  clients")) << dry.out;
  EXPECT_TRUE(Contains(dry.out, "keep     registrations")) << dry.out;
  ProcessOutput dry_json = airpg.Run({"migrate", "--dry-run", "--output", "json"});
  ASSERT_EQ(dry_json.exit_code, 0) << dry_json.err;
  auto dry_summary = nlohmann::json::parse(dry_json.out, nullptr, false);
  EXPECT_TRUE(dry_summary["verify"].is_null()) << dry_json.out;
  EXPECT_EQ(dry_summary["changes"].size(), 5u) << dry_json.out;

  ProcessOutput partial = airpg.Run({"migrate", "--tables", "Clients"});
  ASSERT_EQ(partial.exit_code, 0) << partial.out << partial.err;
  EXPECT_TRUE(Contains(partial.out, "(kept from the live schema)")) << partial.out;
  EXPECT_EQ(Field(partial.out, "records:"),
            "records:       4 read from Airtable, 4 imported, 0 set aside whole (airpg.rejects)")
      << partial.out;
  EXPECT_EQ(Field(partial.out, "kept:"),
            "kept:          13 record(s) of 4 table(s) copied from the live schema, not read")
      << partial.out;

  ProcessOutput runs = airpg.Run({"runs", "--output", "json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  auto list = nlohmann::json::parse(runs.out, nullptr, false);
  ASSERT_TRUE(list.is_array() && list.size() == 2u) << runs.out;
  const std::regex iso(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2})");
  for (const auto& run : list) {
    EXPECT_TRUE(std::regex_match(run["started_at"].get<std::string>(), iso)) << run.dump();
    EXPECT_TRUE(std::regex_match(run["finished_at"].get<std::string>(), iso)) << run.dump();
    EXPECT_TRUE(run["error"].is_null()) << run.dump();
  }
  EXPECT_EQ(list[0]["status"], "superseded");
  EXPECT_TRUE(list[0]["backup_schema"].is_null());
  EXPECT_TRUE(list[0]["refreshed_tables"].is_null());
  EXPECT_EQ(list[1]["status"], "swapped");
  EXPECT_EQ(list[1]["refreshed_tables"], nlohmann::json::array({"tblClients0000001"}));
  ProcessOutput text = airpg.Run({"runs"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  ASSERT_FALSE(Lines(text.out).empty());
  EXPECT_TRUE(Contains(Lines(text.out)[0], "started")) << text.out;
  EXPECT_TRUE(Contains(Lines(text.out)[0], "finished")) << text.out;
  EXPECT_TRUE(Contains(text.out, "+00:00")) << text.out;
  ProcessOutput unknown = airpg.Run({"runs", "--base", "appNeverMigrated1"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_EQ(Lines(unknown.err).size(), 1u) << unknown.err;

  // rollback --to: a run without a kept schema is bad input; the first run's is kept.
  int64_t first_run = list[0]["run_id"].get<int64_t>();
  ProcessOutput live = airpg.Run({"rollback", "--to", std::to_string(first_run + 1)});
  EXPECT_EQ(live.exit_code, 2) << live.err;
  ProcessOutput back = airpg.Run({"rollback", "--to", std::to_string(first_run)});
  EXPECT_EQ(back.exit_code, 0) << back.err;
  EXPECT_TRUE(Contains(back.out, "is run " + std::to_string(first_run) + " again")) << back.out;

  // runs abandon: unknown runs and finished ones are bad input.
  ProcessOutput missing = airpg.Run({"runs", "abandon", "999"});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  ProcessOutput finished = airpg.Run({"runs", "abandon", std::to_string(first_run)});
  EXPECT_EQ(finished.exit_code, 2) << finished.err;
  ProcessOutput help = airpg.Run({"runs", "abandon", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
}

// Issue 15: a migrate killed with SIGKILL leaves a run no process holds:
// `runs` shows it `interrupted` (not `running`), and `runs abandon` drops its
// staging schema and marks it.
// `formula sql --base` names the columns migrate made: a single link is its
// FK column, and a field renamed in Airtable since keeps the column the
// catalog gave it.
TEST(CliMigrateTest, FormulaSqlNamesTheMigratedColumns) {
  AirpgProcess airpg;
  DeltaSetup setup;
  ASSERT_NO_FATAL_FAILURE(StartDelta(setup, airpg));
  ProcessOutput migrate = airpg.Run({"migrate", "--base", kBase, "--quiet"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  http::Client http;
  auto renamed = http.Send(
      "PATCH",
      setup.emulator->url() + "/v0/meta/bases/" + kBase +
          "/tables/tblClients0000001/fields/fldCliNotes000001",
      {{"Content-Type", "application/json"}, {"Authorization", "Bearer patCliMigrateTest"}},
      R"({"name": "Remarks"})");
  ASSERT_TRUE(renamed.ok() && renamed->status == 200)
      << (renamed.ok() ? renamed->body : renamed.status().ToString());

  ProcessOutput link = airpg.Run(
      {"formula", "sql", "IF({Client}, 1, 0)", "--base", kBase, "--table", "Registrations"});
  EXPECT_EQ(link.exit_code, 0) << link.err;
  EXPECT_TRUE(Contains(link.out, "t.\"client_id\"")) << link.out;
  ProcessOutput kept =
      airpg.Run({"formula", "sql", "{Remarks}", "--base", kBase, "--table", "Clients"});
  EXPECT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_TRUE(Contains(kept.out, "t.\"notes\"")) << kept.out;
  EXPECT_FALSE(Contains(kept.out, "remarks")) << kept.out;
}

TEST(CliMigrateTest, Issue15AKilledMigrateIsInterruptedAndCanBeAbandoned) {
  AirpgProcess airpg;
  DeltaSetup setup;
  ASSERT_NO_FATAL_FAILURE(StartDelta(setup, airpg));
  airpg.SetEnv("AIRPG_AIRTABLE_BASE_ID", kBase);
  // Every response slow, so the run is still loading when it is killed.
  http::Client http;
  auto slowed = http.Send("POST", setup.emulator->url() + "/__emulator/faults",
                          {{"Content-Type", "application/json"}}, R"({"latencyMs": 300})");
  ASSERT_TRUE(slowed.ok() && slowed->status == 200);
  auto conn = pg::Connection::Open(setup.db->url());
  ASSERT_TRUE(conn.ok());
  auto scalar = [&](const std::string& sql) {
    auto rows = conn->Exec(sql);
    return rows.ok() && rows->size() > 0 ? std::string(rows->Get(0, 0)) : std::string();
  };
  auto migrate = airpg.Start({"migrate"}, "migrate");
  ASSERT_NE(migrate, nullptr);
  ASSERT_TRUE(WaitFor(
      [&] { return scalar("SELECT count(*) FROM airpg.runs WHERE status = 'running'") == "1"; },
      std::chrono::seconds(30)))
      << migrate->Stderr();
  auto status = [&] {
    ProcessOutput runs = airpg.Run({"runs", "--output", "json"});
    auto list = nlohmann::json::parse(runs.out, nullptr, false);
    return list.is_array() && list.size() == 1u ? list[0] : nlohmann::json();
  };
  EXPECT_EQ(status()["status"], "running");
  EXPECT_TRUE(status()["finished_at"].is_null());
  migrate->Signal(SIGKILL);
  ASSERT_TRUE(migrate->Wait(std::chrono::seconds(20)).has_value());
  EXPECT_TRUE(
      WaitFor([&] { return status()["status"] == "interrupted"; }, std::chrono::seconds(10)))
      << status().dump();
  std::string run = std::to_string(status()["run_id"].get<int64_t>());
  std::string staging = scalar("SELECT staging_schema FROM airpg.runs");
  ProcessOutput abandon = airpg.Run({"runs", "abandon", run});
  EXPECT_EQ(abandon.exit_code, 0) << abandon.err;
  EXPECT_TRUE(Contains(abandon.out, staging)) << abandon.out;
  EXPECT_EQ(status()["status"], "abandoned");
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '" + staging + "'"), "0");
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
