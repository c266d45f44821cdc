// Issue 15, "Sync that restarts without loss", as a user meets it through the
// built binary: `airpg sync` restarted without --port keeps its webhook (the
// stable default port); a held delete sweep is announced, shown by `status`
// and applied by `sync release-deletes`; `status` and `dlq` print ISO 8601
// times, nulls for no data, headers, and exit 2 for what does not exist;
// `verify` names the fields that differ, with both values, per --tables.
// The Delta sample in the in-process emulator, a fresh database per test.
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>

#include "airpg_process.h"
#include "child_process.h"
#include "emulator/emulator.h"
#include "http/client.h"
#include "pg/connection.h"
#include "pg/testing/test_cluster.h"
#include "wait_for.h"

namespace airpg::testing {
namespace {

using nlohmann::json;
constexpr const char* kBase = "appDeltaAnalytic1";
constexpr const char* kSchema = "delta_analytics_registration_tracking";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// ISO 8601 with an explicit offset, e.g. 2026-12-07T07:21:05+00:00.
const std::regex kIsoTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d)");

class SyncCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator::EmulatorOptions options;
    options.data_path = std::string(AIRPG_EMULATOR_SAMPLES_DIR) + "/delta_analytics.json";
    options.rate_limits = false;
    auto emulator = emulator::Emulator::Start(options);
    ASSERT_TRUE(emulator.ok()) << emulator.status().ToString();
    emulator_ = std::move(emulator).value();
    auto db = pg::testing::TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_.emplace(std::move(db).value());
    airpg_.SetEnv("DATABASE_URL", db_->url());
    airpg_.SetEnv("AIRTABLE_ENDPOINT_URL", emulator_->url());
    airpg_.SetEnv("AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt);
    airpg_.SetEnv("AIRTABLE_TOKEN", "patSyncCliTest");
    airpg_.SetEnv("AIRPG_AIRTABLE_BASE_ID", kBase);
    auto conn = pg::Connection::Open(db_->url());
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_.emplace(std::move(conn).value());
    ProcessOutput migrate = airpg_.Run({"migrate"});
    ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  }

  std::string Scalar(const std::string& sql) {
    auto rows = conn_->Exec(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    return rows.ok() && rows->size() > 0 ? std::string(rows->Get(0, 0)) : std::string();
  }

  void Ui(const std::string& method, const std::string& path, const std::string& body = "") {
    http::Client http;
    auto sent = http.Send(method, emulator_->url() + "/__emulator/ui/" + kBase + "/" + path,
                          {{"Content-Type", "application/json"}}, body);
    ASSERT_TRUE(sent.ok() && sent->status == 200) << method << " " << path;
  }

  // Starts `airpg sync --loopback-pings` and waits until its first step is
  // over (the hook exists and every table was swept).
  std::unique_ptr<ChildProcess> StartSync(const std::string& label) {
    auto sync = airpg_.Start({"sync", "--loopback-pings"}, label);
    if (sync == nullptr) return nullptr;
    bool started = WaitFor(
        [&] {
          return Scalar("SELECT count(*) FROM airpg.sync_bases WHERE webhook_id IS NOT NULL") ==
                     "1" &&
                 Scalar(
                     "SELECT count(*) FROM airpg.sync_tables WHERE last_sweep_at IS NOT "
                     "NULL") == Scalar("SELECT count(*) FROM airpg.tables");
        },
        std::chrono::seconds(30));
    EXPECT_TRUE(started) << sync->Stderr();
    return sync;
  }

  static void Stop(ChildProcess& sync) {
    sync.Signal(SIGTERM);
    auto ended = sync.Wait(std::chrono::seconds(20));
    ASSERT_TRUE(ended.has_value());
    EXPECT_EQ(ended->exit_code, 0) << sync.Stderr();
  }

  AirpgProcess airpg_;
  std::unique_ptr<emulator::Emulator> emulator_;
  std::optional<pg::testing::TestDatabase> db_;
  std::optional<pg::Connection> conn_;
};

// Without --port the sync listens on the stable default (8719), so the
// loopback hook's URL is the same after a restart: the hook is kept (one
// hook, the same id, never replaced) and what changed in between comes in.
TEST_F(SyncCliTest, ASyncRestartedWithoutAPortKeepsItsWebhook) {
  airpg_.SetEnv("AIRPG_SYNC_PORT", std::nullopt);  // the default, as a user has it
  auto first = StartSync("first");
  ASSERT_NE(first, nullptr);
  EXPECT_TRUE(Contains(first->Stderr(), "listening on 127.0.0.1:8719")) << first->Stderr();
  const std::string hook = Scalar("SELECT webhook_id FROM airpg.sync_bases");
  ASSERT_NO_FATAL_FAILURE(Stop(*first));
  const std::string last_event = Scalar("SELECT max(event_id) FROM airpg.sync_events");

  ASSERT_NO_FATAL_FAILURE(
      Ui("PATCH", "Clients/recCliHarbor0001", R"({"fields":{"Notes":"While airpg was down"}})"));
  auto second = airpg_.Start({"sync", "--loopback-pings"}, "second");
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE(WaitFor(
      [&] {
        return Scalar(std::string("SELECT notes FROM ") + kSchema +
                      ".clients WHERE airtable_id = 'recCliHarbor0001'") == "While airpg was down";
      },
      std::chrono::seconds(30)))
      << second->Stderr();
  ASSERT_NO_FATAL_FAILURE(Stop(*second));
  EXPECT_EQ(Scalar("SELECT webhook_id FROM airpg.sync_bases"), hook);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_events WHERE kind = 'webhook_recreated'"), "1");
  EXPECT_FALSE(Contains(second->Stderr(), "replaced webhook")) << second->Stderr();
  // It came in through the kept hook's payloads (read before any poll).
  EXPECT_EQ(Scalar("SELECT coalesce(sum(records), 0) FROM airpg.sync_events WHERE kind = "
                   "'webhook' AND event_id > " +
                   last_event),
            "1");
  http::Client http;
  auto hooks = http.Send("GET", emulator_->url() + "/v0/bases/" + kBase + "/webhooks",
                         {{"Authorization", "Bearer patSyncCliTest"}}, "");
  ASSERT_TRUE(hooks.ok());
  json listed = json::parse(hooks->body, nullptr, false);
  ASSERT_EQ(listed["webhooks"].size(), 1u) << hooks->body;
  EXPECT_EQ(listed["webhooks"][0]["id"], hook);
  EXPECT_EQ(listed["webhooks"][0]["isHookEnabled"], true);
}

// Before any sync: nothing to report is null / "-", never 0; a base airpg
// does not know is exit 2; a bogus --status is exit 2 naming the statuses;
// times are ISO 8601 with their offset; the text tables have headers.
TEST_F(SyncCliTest, StatusAndDlqPrintIsoTimesNullsAndHeadersAndRefuseWhatDoesNotExist) {
  ProcessOutput status = airpg_.Run({"status", "--output", "json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  json s = json::parse(status.out, nullptr, false);
  EXPECT_TRUE(s["cursor"].is_null()) << s.dump();
  EXPECT_TRUE(s["last_ping_at"].is_null()) << s.dump();
  EXPECT_TRUE(s["webhook_id"].is_null()) << s.dump();
  EXPECT_TRUE(s["lag_ms"].is_null()) << s.dump();
  ASSERT_FALSE(s["tables"].empty());
  for (const auto& t : s["tables"]) {
    EXPECT_TRUE(t["last_poll_at"].is_null()) << t.dump();
    EXPECT_TRUE(t["held_deletes"].is_null()) << t.dump();
    EXPECT_TRUE(t["lag_ms"].is_null()) << t.dump();
  }
  ProcessOutput text = airpg_.Run({"status"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(Contains(text.out, "TABLE")) << text.out;
  EXPECT_TRUE(Contains(text.out, "LAST POLL")) << text.out;
  EXPECT_TRUE(Contains(text.out, "payload cursor -")) << text.out;

  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"status"}, {"dlq", "list"}, {"sync", "release-deletes", "staff"}}) {
    args.insert(args.end(), {"--base", "appNotMigrated0001"});
    ProcessOutput unknown = airpg_.Run(args);
    EXPECT_EQ(unknown.exit_code, 2) << args[0] << unknown.err;
    EXPECT_TRUE(Contains(unknown.err, "appNotMigrated0001")) << unknown.err;
  }
  // The new settings are checked like every other.
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"AIRPG_SYNC_PORT", "70000"}, {"AIRPG_SYNC_MIN_HELD_DELETES", "-1"}}) {
    AirpgProcess bad;
    bad.SetEnv(name, value);
    ProcessOutput refused = bad.Run({"status", "--base", kBase});
    EXPECT_EQ(refused.exit_code, 2) << name << refused.err;
    EXPECT_TRUE(Contains(refused.err, name == "AIRPG_SYNC_PORT" ? "sync.port" : "min_held"))
        << refused.err;
  }
  ProcessOutput bogus = airpg_.Run({"dlq", "list", "--status", "bogus"});
  EXPECT_EQ(bogus.exit_code, 2) << bogus.err;
  EXPECT_TRUE(Contains(bogus.err, "retrying, dead, replayed, superseded, dropped")) << bogus.err;

  // A letter, as the sync writes one.
  ASSERT_TRUE(conn_
                  ->Run("INSERT INTO airpg.dead_letters (base_id, table_id, record_id, field_id, "
                        "source, payload, reason, status) VALUES ($1, 'tblClients0000001', "
                        "'recCliHarbor0001', 'fldCliNotes000001', 'poll', '\"x\"', 'a test', "
                        "'dead')",
                        {std::string(kBase)})
                  .ok());
  ProcessOutput list = airpg_.Run({"dlq", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(Contains(list.out, "STATUS")) << list.out;
  EXPECT_TRUE(Contains(list.out, "REASON")) << list.out;
  EXPECT_TRUE(std::regex_search(list.out, kIsoTime)) << list.out;
  ProcessOutput list_json = airpg_.Run({"dlq", "list", "--output", "json"});
  ASSERT_EQ(list_json.exit_code, 0) << list_json.err;
  json letters = json::parse(list_json.out, nullptr, false);
  ASSERT_EQ(letters.size(), 1u) << list_json.out;
  EXPECT_TRUE(std::regex_match(letters[0]["created_at"].get<std::string>(), kIsoTime))
      << letters[0].dump();
  // Replayed with the catalog's plan of the live tables: the record is read
  // again, applied, and the letter closes.
  ProcessOutput replay = airpg_.Run({"dlq", "replay", std::to_string(letters[0]["id"].get<int>())});
  EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
  EXPECT_TRUE(Contains(airpg_.Run({"dlq", "list"}).out, "no dead letters"));
}

// Deleting more than the share and the minimum at once is held: the sync
// says so on stderr, `status` shows it, and `sync release-deletes` applies it
// (exit 2 naming the tables for one the base does not have).
TEST_F(SyncCliTest, AHeldDeleteSweepIsAnnouncedShownAndReleased) {
  airpg_.SetEnv("AIRPG_SYNC_MIN_HELD_DELETES", "1");
  airpg_.SetEnv("AIRPG_SYNC_MAX_DELETE_SHARE", "0.01");
  const std::string live =
      Scalar(std::string("SELECT count(*) FROM ") + kSchema + ".staff WHERE deleted_at IS NULL");
  ASSERT_NO_FATAL_FAILURE(Ui("DELETE", "Staff/recStfKenji000001"));
  ASSERT_NO_FATAL_FAILURE(Ui("DELETE", "Staff/recStfPriya000001"));
  auto sync = StartSync("sync");
  ASSERT_NE(sync, nullptr);
  ASSERT_NO_FATAL_FAILURE(Stop(*sync));
  EXPECT_TRUE(Contains(sync->Stderr(), "airpg sync release-deletes staff")) << sync->Stderr();
  const std::string tombstoned =
      std::string("SELECT count(*) FROM ") + kSchema + ".staff WHERE deleted_at IS NOT NULL";
  EXPECT_EQ(Scalar(tombstoned), "0");

  ProcessOutput status = airpg_.Run({"status", "--output", "json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  json s = json::parse(status.out, nullptr, false);
  for (const auto& t : s["tables"]) {
    if (t["table"] == "staff") {
      EXPECT_EQ(t["held_deletes"]["missing"], 2) << t.dump();
      EXPECT_EQ(t["held_deletes"]["live"], std::stoi(live)) << t.dump();
      EXPECT_TRUE(std::regex_match(t["last_sweep_at"].get<std::string>(), kIsoTime)) << t.dump();
    } else {
      EXPECT_TRUE(t["held_deletes"].is_null()) << t.dump();
    }
  }
  ProcessOutput text = airpg_.Run({"status"});
  EXPECT_TRUE(Contains(text.out, "2 of " + live)) << text.out;
  EXPECT_TRUE(Contains(text.out, "release-deletes")) << text.out;

  ProcessOutput unknown = airpg_.Run({"sync", "release-deletes", "Stafff"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_TRUE(Contains(unknown.err, "staff")) << unknown.err;
  ProcessOutput not_held = airpg_.Run({"sync", "release-deletes", "clients"});
  EXPECT_EQ(not_held.exit_code, 2) << not_held.err;
  ProcessOutput released = airpg_.Run({"sync", "release-deletes", "staff"});
  EXPECT_EQ(released.exit_code, 0) << released.out << released.err;
  EXPECT_EQ(Scalar(tombstoned), "2");
  status = airpg_.Run({"status", "--output", "json"});
  for (const auto& t : json::parse(status.out, nullptr, false)["tables"]) {
    EXPECT_TRUE(t["held_deletes"].is_null()) << t.dump();
  }
}

// A value changed behind airpg's back in Postgres: verify names the field,
// shows both values (a long one shortened), compares only --tables, and
// --output json carries table, record, field and both values.
TEST_F(SyncCliTest, VerifyNamesTheFieldsThatDifferWithBothValues) {
  const std::string long_notes(200, 'x');
  // Written as the inbound apply writes (origin airtable), so Postgres does
  // not stamp "Last Modified" too: one field differs.
  ASSERT_TRUE(conn_->Run("BEGIN").ok());
  ASSERT_TRUE(conn_->Run("SET LOCAL airpg.origin = 'airtable'").ok());
  ASSERT_TRUE(conn_
                  ->Run(std::string("UPDATE ") + kSchema +
                            ".clients SET notes = $1 WHERE airtable_id = 'recCliHarbor0001'",
                        {long_notes})
                  .ok());
  ASSERT_TRUE(conn_->Run("COMMIT").ok());
  ProcessOutput verify = airpg_.Run({"verify"});
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, "recCliHarbor0001: field \"Notes\": Airtable ")) << verify.out;
  EXPECT_TRUE(Contains(verify.out, "xxxxx…")) << verify.out;
  EXPECT_FALSE(Contains(verify.out, long_notes)) << verify.out;

  ProcessOutput json_out = airpg_.Run({"verify", "--tables", "Clients", "--output", "json"});
  EXPECT_EQ(json_out.exit_code, 1) << json_out.err;
  json report = json::parse(json_out.out, nullptr, false);
  ASSERT_EQ(report["tables"].size(), 1u) << json_out.out;
  const json& differences = report["tables"][0]["differences"];
  ASSERT_EQ(differences.size(), 1u) << json_out.out;
  EXPECT_EQ(differences[0]["table"], "clients");
  EXPECT_EQ(differences[0]["record_id"], "recCliHarbor0001");
  EXPECT_EQ(differences[0]["field"], "Notes");
  EXPECT_EQ(differences[0]["postgres"], json(long_notes).dump());
  EXPECT_TRUE(differences[0]["airtable"].is_string());

  ProcessOutput staff = airpg_.Run({"verify", "--tables", "staff,tblRegulators0001"});
  EXPECT_EQ(staff.exit_code, 0) << staff.out << staff.err;
  EXPECT_FALSE(Contains(staff.out, "clients")) << staff.out;
  ProcessOutput unknown = airpg_.Run({"verify", "--tables", "Nope"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_TRUE(Contains(unknown.err, "clients")) << unknown.err;
}

}  // namespace
}  // namespace airpg::testing
