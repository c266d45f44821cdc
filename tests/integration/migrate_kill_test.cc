// Principle 5 under SIGKILL and SIGTERM: the real `airpg migrate` binary,
// run against the in-process emulator (a generated multi-table base with
// links and attachments) and the run's throwaway Postgres, is killed at
// random points and started again; the end state must be as if it had never
// stopped — verify clean, no duplicate rows, one swapped run. The delays come
// from a seeded PRNG; the seed is printed, and AIRPG_KILL_SEED=N replays the
// same delays (where they land still depends on the machine's speed). Each
// kill is logged with the statement the migrate's session was running and
// the run's committed state, the phase it hit.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "airpg_process.h"
#include "emulator/emulator.h"
#include "emulator/generator.h"
#include "http/client.h"
#include "pg/catalog.h"
#include "pg/testing/pg_test.h"
#include "pg/transaction.h"
#include "replayable_seed.h"

namespace airpg::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// 4 tables of 5 pages each: about 4 s of paging at the pacer's 5 requests/s.
constexpr int kTables = 4;
constexpr int kRecords = 450;
constexpr int kPagesPerTable = (kRecords + 99) / 100;

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

// What one kill hit: the delay, the statement the migrate's session was
// running (pg_stat_activity) and the run's committed state afterwards.
struct Kill {
  double delay = 0;
  std::string statement;
  std::string phase;
};

class MigrateKillTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    seed_ = ReplayableSeed("AIRPG_KILL_SEED");
    rng_.seed(seed_);

    json data = emulator::GenerateBase(kTables, kRecords, seed_);
    AddAttachments(data["bases"][0]["tables"][1]);
    base_id_ = data["bases"][0]["id"];
    for (const json& t : data["bases"][0]["tables"]) {
      table_ids_.push_back(t["id"]);
      airtable_counts_[t["id"]] = static_cast<int64_t>(t["records"].size());
    }
    emulator::EmulatorOptions options;
    options.data_json = data.dump();
    options.rate_limits = false;
    auto started = emulator::Emulator::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    emulator_ = std::move(started).value();

    airpg_.SetEnv("DATABASE_URL", url());
    airpg_.SetEnv("AIRTABLE_ENDPOINT_URL", emulator_->url());
    airpg_.SetEnv("AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt);
    airpg_.SetEnv("AIRTABLE_TOKEN", "patMigrateKillTest");
  }

  // Every ninth record of `table` gets an attachment (the emulator serves
  // placeholder bytes of the announced size).
  static void AddAttachments(json& table) {
    table["fields"].push_back({{"id", "fldKillFiles00001"},
                               {"name", "Files"},
                               {"type", "multipleAttachments"},
                               {"options", {{"isReversed", false}}}});
    json& records = table["records"];
    for (size_t i = 0; i < records.size(); i += 9) {
      records[i]["fields"]["Files"] = json::array({{{"id", fmt::format("attKill{:010d}", i)},
                                                    {"filename", fmt::format("note-{}.txt", i)},
                                                    {"size", 1},
                                                    {"type", "text/plain"}}});
    }
  }

  std::string Scalar(const std::string& sql, const std::vector<pg::Param>& params = {}) {
    auto rows = conn().Exec(sql, params);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    return rows.ok() && rows->size() > 0 ? std::string(rows->Get(0, 0)) : "";
  }

  int64_t Number(const std::string& sql, const std::vector<pg::Param>& params = {}) {
    std::string text = Scalar(sql, params);
    return text.empty() ? -1 : std::stoll(text);
  }

  bool CatalogExists() { return Scalar("SELECT to_regclass('airpg.runs') IS NOT NULL") == "t"; }

  // The newest run of the base after `after_run`: "<status> <tables loaded>",
  // or "" when there is none yet.
  std::string LatestRun(int64_t after_run, int64_t* run_id = nullptr, int64_t* loaded = nullptr) {
    if (!CatalogExists()) return "";
    auto rows = conn().Exec(
        "SELECT r.run_id, r.status, (SELECT count(*) FROM airpg.run_tables t WHERE "
        "t.run_id = r.run_id AND t.status = 'loaded') FROM airpg.runs r WHERE r.base_id = $1 "
        "AND r.run_id > $2::bigint ORDER BY r.run_id DESC LIMIT 1",
        {base_id_, std::to_string(after_run)});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->empty()) return "";
    if (run_id != nullptr) *run_id = std::stoll(std::string(rows->Get(0, 0)));
    if (loaded != nullptr) *loaded = std::stoll(std::string(rows->Get(0, 2)));
    return std::string(rows->Get(0, 1));
  }

  // The run's committed state, in the words of the migrate flow.
  std::string Phase(int64_t after_run) {
    int64_t loaded = 0;
    std::string status = LatestRun(after_run, nullptr, &loaded);
    if (status.empty()) return "planning (no run row yet)";
    if (status == "running" && loaded < kTables) {
      return fmt::format("loading table {}/{}", loaded + 1, kTables);
    }
    if (status == "running") return "finish step (every table loaded)";
    if (status == "loaded") return "post-load check / swap";
    return status;  // "swapped": killed after the swap committed
  }

  // What the migrate's own session (the one holding the base's advisory
  // lock) is doing right now.
  std::string Statement() {
    auto rows = conn().Exec(
        "SELECT a.state, coalesce(a.wait_event_type, ''), left(regexp_replace(a.query, "
        "'\\s+', ' ', 'g'), 50) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() LIMIT 1");
    if (!rows.ok() || rows->empty()) return "(no migrate session)";
    return fmt::format("{}{}: {}", rows->Get(0, 0),
                       rows->Get(0, 1).empty() ? "" : fmt::format(" [{}]", rows->Get(0, 1)),
                       rows->Get(0, 2));
  }

  // Seconds a migrate needs from here, a little less than it takes: about
  // 0.15 s to start, the two schema requests and the pages of the tables not
  // yet loaded — the pacer sends 5 at once, then 5 more each second — and
  // 0.3 s to finish, check and swap (measured on a 2-core machine; slower
  // machines only push the kills earlier). A kill past the end would be a
  // wasted attempt, so the estimate errs short.
  double RemainingEstimate(int64_t after_run) {
    int64_t loaded = 0;
    std::string status = LatestRun(after_run, nullptr, &loaded);
    int64_t requests = 2 + (kTables - (status.empty() ? 0 : loaded)) * kPagesPerTable;
    return 0.95 * (0.15 + static_cast<double>((requests - 1) / 5) * 1.02 + 0.3);
  }

  // Starts `airpg migrate` and SIGKILLs it after a random delay. Returns
  // nullopt when it finished first (exit 0); between polls `between` runs
  // (scenario 2 checks the live schema there).
  std::optional<Kill> MigrateAndKill(int64_t after_run, const std::function<void()>& between) {
    double delay = std::uniform_real_distribution<double>(0.0, RemainingEstimate(after_run))(rng_);
    auto child = airpg_.Start({"migrate", "--base", base_id_}, "migrate");
    if (child == nullptr) return std::nullopt;
    auto kill_at = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                            std::chrono::duration<double>(delay));
    while (SteadyClock::now() < kill_at) {
      if (child->Exited()) {
        ProcessOutput out = *child->Wait(milliseconds(0));
        EXPECT_EQ(out.exit_code, 0) << "a restart failed on its own:\n" << out.out << out.err;
        return std::nullopt;
      }
      if (between) between();
      std::this_thread::sleep_for(milliseconds(10));
    }
    Kill kill;
    kill.delay = delay;
    kill.statement = Statement();
    child->Signal(SIGKILL);
    std::optional<ProcessOutput> out = child->Wait(milliseconds(10000));
    EXPECT_TRUE(out.has_value()) << "the killed migrate did not end";
    if (out && out->term_signal != SIGKILL) {
      // It ended on its own just before the signal.
      EXPECT_EQ(out->exit_code, 0) << out->out << out->err;
      return std::nullopt;
    }
    kill.phase = Phase(after_run);
    return kill;
  }

  // `airpg migrate` to the end, uninterrupted.
  void MigrateToTheEnd() {
    ProcessOutput out = airpg_.Run({"migrate", "--base", base_id_});
    ASSERT_EQ(out.exit_code, 0) << out.out << out.err;
    EXPECT_NE(out.out.find("verify:        clean"), std::string::npos) << out.out;
  }

  // The live schema's tables by Airtable table id.
  std::map<std::string, std::string> LiveTables() {
    std::map<std::string, std::string> out;
    auto rows = conn().Exec(
        "SELECT t.table_id, quote_ident(b.schema_name) || '.' || quote_ident(t.table_name) "
        "FROM airpg.tables t JOIN airpg.bases b USING (base_id) WHERE base_id = $1",
        {base_id_});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    for (int i = 0; rows.ok() && i < rows->size(); ++i) {
      out[std::string(rows->Get(i, 0))] = rows->Get(i, 1);
    }
    return out;
  }

  // The end state a single uninterrupted migrate would leave.
  void ExpectConverged() {
    ProcessOutput verify = airpg_.Run({"verify", "--base", base_id_});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    EXPECT_NE(verify.out.find("verify: clean"), std::string::npos) << verify.out;

    std::map<std::string, std::string> live = LiveTables();
    EXPECT_EQ(live.size(), static_cast<size_t>(kTables));
    for (const auto& [table_id, name] : live) {
      EXPECT_EQ(Number("SELECT count(*) FROM " + name), airtable_counts_[table_id]) << name;
      EXPECT_EQ(Number("SELECT count(*) FROM (SELECT airtable_id FROM " + name +
                       " GROUP BY airtable_id HAVING count(*) > 1) d"),
                0)
          << "duplicate airtable_id in " << name;
    }
    std::string schema =
        Scalar("SELECT schema_name FROM airpg.bases WHERE base_id = $1", {base_id_});
    auto junctions = conn().Exec(
        "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM "
        "information_schema.columns WHERE table_schema = $1 AND column_name = 'to_id'",
        {schema});
    ASSERT_TRUE(junctions.ok()) << junctions.status().ToString();
    EXPECT_EQ(junctions->size(), kTables - 1);
    for (int i = 0; i < junctions->size(); ++i) {
      std::string name(junctions->Get(i, 0));
      EXPECT_GT(Number("SELECT count(*) FROM " + name), 0) << name;
      EXPECT_EQ(Number("SELECT count(*) FROM (SELECT 1 FROM " + name +
                       " GROUP BY from_id, to_id, position HAVING count(*) > 1) d"),
                0)
          << "duplicate links in " << name;
    }
    // Every attachment once, its bytes stored.
    EXPECT_EQ(Number("SELECT count(*) FROM airpg.attachments WHERE schema_name = $1", {schema}),
              (kRecords + 8) / 9);
    EXPECT_EQ(Number("SELECT count(*) FROM (SELECT 1 FROM airpg.attachments GROUP BY schema_name, "
                     "record_id, field_id, position HAVING count(*) > 1) d"),
              0);
    EXPECT_EQ(Number("SELECT count(*) FROM airpg.attachments a JOIN airpg.blobs b USING (sha256) "
                     "WHERE a.schema_name = $1 AND encode(sha256(b.content), 'hex') = a.sha256",
                     {schema}),
              (kRecords + 8) / 9);
    EXPECT_EQ(Number("SELECT count(*) FROM airpg.runs WHERE base_id = $1 AND status = 'swapped'",
                     {base_id_}),
              1);
    EXPECT_EQ(Number("SELECT count(*) FROM airpg.runs WHERE base_id = $1 AND status NOT IN "
                     "('swapped', 'superseded')",
                     {base_id_}),
              0)
        << Scalar(
               "SELECT string_agg(run_id || ' ' || status || ' ' || coalesce(error, ''), "
               "E'\\n') FROM airpg.runs");
    // Nothing of an interrupted attempt is left behind.
    EXPECT_EQ(Scalar("SELECT string_agg(nspname, ', ') FROM pg_namespace WHERE nspname LIKE "
                     "'airpg\\_staging\\_%'"),
              "");
    EXPECT_EQ(Number("SELECT count(*) FROM airpg.attachments WHERE schema_name LIKE "
                     "'airpg\\_staging\\_%'"),
              0);
  }

  static void Report(const std::string& scenario, const std::vector<Kill>& kills, int finished,
                     SteadyClock::time_point started) {
    std::cout << fmt::format("[ kills    ] {}: {} kills, {} attempts finished first, {:.1f} s\n",
                             scenario, kills.size(), finished,
                             Seconds(SteadyClock::now() - started));
    std::map<std::string, int> phases;
    for (const Kill& k : kills) ++phases[k.phase];
    for (const auto& [phase, count] : phases) {
      std::cout << fmt::format("[ phase    ] {:>3} x {}\n", count, phase);
    }
    for (size_t i = 0; i < kills.size(); ++i) {
      std::cout << fmt::format("[ kill {:>3} ] after {:.3f} s: {} | {}\n", i + 1, kills[i].delay,
                               kills[i].phase, kills[i].statement);
    }
  }

  // Creates `count` records in the table through the Airtable API.
  void AddRecords(const std::string& table_id, int count) {
    json records = json::array();
    for (int i = 0; i < count; ++i) {
      records.push_back({{"fields", {{"Name", fmt::format("added {}", i + 1)}}}});
    }
    http::Client http;
    auto response = http.Send(
        "POST", emulator_->url() + "/v0/" + base_id_ + "/" + table_id,
        {{"Content-Type", "application/json"}, {"Authorization", "Bearer patMigrateKillTest"}},
        json{{"records", records}}.dump());
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    ASSERT_EQ(response->status, 200) << response->body;
    airtable_counts_[table_id] += count;
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  std::string base_id_;
  std::vector<std::string> table_ids_;
  std::map<std::string, int64_t> airtable_counts_;
  std::unique_ptr<emulator::Emulator> emulator_;
  AirpgProcess airpg_;
};

// Ten SIGKILLs at random points of one migration, each followed by a
// restart; the last restart runs to the end.
TEST_F(MigrateKillTest, TenKillsThenARestartConvergesToOneCleanSwap) {
  auto started = SteadyClock::now();
  std::vector<Kill> kills;
  int finished = 0;
  int64_t after_run = 0;  // the runs of earlier, finished migrations
  while (kills.size() < 10 && !HasFailure()) {
    std::optional<Kill> kill = MigrateAndKill(after_run, nullptr);
    if (kill) {
      EXPECT_NE(kill->phase, "failed") << kill->statement;
      kills.push_back(*kill);
    } else {
      ++finished;
    }
    // Swapped before the kill, or killed after the swap: the next attempt
    // is a new migration of the base.
    int64_t run_id = 0;
    if (LatestRun(after_run, &run_id) == "swapped") after_run = run_id;
  }
  MigrateToTheEnd();
  Report("one migration", kills, finished, started);
  ExpectConverged();
}

// A second migration (Airtable changed since the first) killed at random
// points: the live schema of the first stays whole and queryable between and
// during the attempts, and the restarts end in one swap.
TEST_F(MigrateKillTest, KillsDuringASecondMigrationLeaveTheLiveSchemaIntact) {
  auto started = SteadyClock::now();
  MigrateToTheEnd();
  int64_t first_run =
      Number("SELECT active_run_id FROM airpg.bases WHERE base_id = $1", {base_id_});
  std::map<std::string, std::string> live = LiveTables();
  ASSERT_EQ(live.size(), static_cast<size_t>(kTables));
  std::map<std::string, int64_t> before = airtable_counts_;
  AddRecords(table_ids_[0], 7);
  std::map<std::string, int64_t> after = airtable_counts_;

  // One snapshot of every live table's count and of a join through a
  // junction: all of the first run, or (once the second swapped) all of it.
  std::string schema = Scalar("SELECT schema_name FROM airpg.bases WHERE base_id = $1", {base_id_});
  std::string junction = Scalar(
      "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM "
      "information_schema.columns WHERE table_schema = $1 AND column_name = 'to_id' LIMIT 1",
      {schema});
  ASSERT_FALSE(junction.empty());
  std::string counts = "SELECT ";
  for (const std::string& table_id : table_ids_) {
    counts += fmt::format("(SELECT count(*) FROM {}), ", live[table_id]);
  }
  counts += fmt::format("(SELECT count(*) FROM {} j JOIN {} a ON a.id = j.from_id)", junction,
                        live[table_ids_[1]]);
  int swapped_seen = 0;
  auto check_live = [&] {
    auto rows = conn().Exec(counts);
    ASSERT_TRUE(rows.ok()) << "the live schema is not queryable: " << rows.status().ToString();
    bool old = true, fresh = true;
    for (int t = 0; t < kTables; ++t) {
      int64_t n = std::stoll(std::string(rows->Get(0, t)));
      old = old && n == before[table_ids_[t]];
      fresh = fresh && n == after[table_ids_[t]];
    }
    EXPECT_TRUE(old || fresh) << "the live schema is neither the first run's nor the second's";
    EXPECT_GT(std::stoll(std::string(rows->Get(0, kTables))), 0);
    if (fresh) ++swapped_seen;
  };

  std::vector<Kill> kills;
  int finished = 0;
  while (kills.size() < 6 && finished == 0 && !HasFailure()) {
    std::optional<Kill> kill = MigrateAndKill(first_run, check_live);
    if (!kill) {
      ++finished;  // the second migration swapped before a kill
      break;
    }
    check_live();
    EXPECT_NE(kill->phase, "failed") << kill->statement;
    kills.push_back(*kill);
    if (kill->phase == "swapped") break;  // killed after the swap committed
  }
  if (finished == 0 && (kills.empty() || kills.back().phase != "swapped")) {
    EXPECT_EQ(swapped_seen, 0);
    MigrateToTheEnd();
  }
  check_live();
  Report("second migration", kills, finished, started);
  EXPECT_EQ(Number("SELECT count(*) FROM airpg.runs WHERE base_id = $1", {base_id_}), 2)
      << Scalar("SELECT string_agg(run_id || ' ' || status, ', ') FROM airpg.runs");
  EXPECT_EQ(Scalar("SELECT status FROM airpg.runs WHERE run_id = $1::bigint",
                   {std::to_string(first_run)}),
            "superseded");
  ExpectConverged();
}

// A migrate killed while its session waits on a lock (here one the test
// holds, as an application's long transaction would): the server notices the
// client is gone only when that session next talks to it, and until then it
// holds the base's migration lock. The restart must wait for that session
// to go, not fail as if another migrate were running — killed once in the
// finish step and once in the middle of the swap (after the schema renames).
TEST_F(MigrateKillTest, AKillWhileWaitingOnALockDoesNotBlockTheRestart) {
  ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
  auto holder = Connect();
  ASSERT_TRUE(holder.ok()) << holder.status().ToString();
  // The backend pid of a migrate session (one holding the base's advisory
  // lock) that waits on a lock in `statement`, other than `not_pid`; 0 if none.
  auto waiting_pid = [&](const std::string& statement, int64_t not_pid) {
    return Number(
        "SELECT coalesce(max(a.pid), 0) FROM pg_stat_activity a JOIN pg_locks l ON "
        "l.pid = a.pid WHERE l.locktype = 'advisory' AND l.granted AND a.wait_event_type = "
        "'Lock' AND a.query LIKE $1 AND a.pid <> $2::integer",
        {statement + "%", std::to_string(not_pid)});
  };
  // Finish step: dangling links go to airpg.rejects; swap: airpg.bases is
  // written after the schemas were renamed.
  for (const auto& [table, statement] : std::vector<std::pair<std::string, std::string>>{
           {"airpg.rejects", "INSERT INTO airpg.rejects"},
           {"airpg.bases", "INSERT INTO airpg.bases"}}) {
    SCOPED_TRACE(table);
    auto lock = pg::Transaction::Begin(*holder);
    ASSERT_TRUE(lock.ok());
    ASSERT_TRUE(lock->Run("LOCK TABLE " + table + " IN SHARE ROW EXCLUSIVE MODE").ok());
    auto killed = airpg_.Start({"migrate", "--base", base_id_}, "migrate");
    ASSERT_NE(killed, nullptr);
    auto deadline = SteadyClock::now() + std::chrono::seconds(60);
    int64_t dead_pid = 0;
    while ((dead_pid = waiting_pid(statement, 0)) == 0) {
      ASSERT_LT(SteadyClock::now(), deadline) << "migrate never waited on " << table;
      ASSERT_FALSE(killed->Exited()) << killed->Stdout() << killed->Stderr();
      std::this_thread::sleep_for(milliseconds(10));
    }
    killed->Signal(SIGKILL);
    ASSERT_TRUE(killed->Wait(milliseconds(10000)).has_value());

    // The restart outlives the dead session and then waits on the same lock.
    auto restart = airpg_.Start({"migrate", "--base", base_id_}, "restart");
    ASSERT_NE(restart, nullptr);
    deadline = SteadyClock::now() + std::chrono::seconds(30);
    while (waiting_pid(statement, dead_pid) == 0) {
      ASSERT_LT(SteadyClock::now(), deadline) << "the restart never got as far as " << table;
      if (restart->Exited()) {
        ProcessOutput out = *restart->Wait(milliseconds(0));
        FAIL() << "the restart gave up (exit " << out.exit_code << "): " << out.err;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    EXPECT_EQ(Number("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::integer",
                     {std::to_string(dead_pid)}),
              0);
    ASSERT_TRUE(lock->Commit().ok());
    if (table == "airpg.rejects") {
      // The restart is killed too; the next one is stopped at the swap.
      restart->Signal(SIGKILL);
      ASSERT_TRUE(restart->Wait(milliseconds(10000)).has_value());
    } else {
      std::optional<ProcessOutput> out = restart->Wait(milliseconds(60000));
      ASSERT_TRUE(out.has_value());
      EXPECT_EQ(out->exit_code, 0) << out->out << out->err;
    }
  }
  EXPECT_EQ(Number("SELECT count(*) FROM airpg.runs"), 1);
  ExpectConverged();
}

// SIGTERM (as Ctrl-C's SIGINT) stops paging, rolls the table being loaded
// back, exits 130 and leaves the run to resume; the restart finishes it.
TEST_F(MigrateKillTest, SigtermStopsWithExit130AndTheRestartResumes) {
  auto child = airpg_.Start({"migrate", "--base", base_id_}, "migrate");
  ASSERT_NE(child, nullptr);
  // Once the first table is in, the second one is being paged.
  auto deadline = SteadyClock::now() + std::chrono::seconds(60);
  while (!(CatalogExists() &&
           Number("SELECT count(*) FROM airpg.run_tables WHERE status = 'loaded'") > 0)) {
    ASSERT_LT(SteadyClock::now(), deadline) << "no table was loaded within 60 s";
    ASSERT_FALSE(child->Exited()) << child->Stdout() << child->Stderr();
    std::this_thread::sleep_for(milliseconds(10));
  }
  auto signalled = SteadyClock::now();
  child->Signal(SIGTERM);
  std::optional<ProcessOutput> out = child->Wait(milliseconds(15000));
  ASSERT_TRUE(out.has_value()) << "migrate did not stop within 15 s of SIGTERM";
  std::cout << fmt::format("[ sigterm  ] exited {} after {:.3f} s\n", out->exit_code,
                           Seconds(SteadyClock::now() - signalled));
  EXPECT_EQ(out->exit_code, 130) << out->out << out->err;
  EXPECT_NE(out->err.find("run `airpg migrate` again to resume"), std::string::npos) << out->err;

  // The run is open; only whole tables are in its staging schema.
  int64_t run_id = 0, loaded = 0;
  EXPECT_EQ(LatestRun(0, &run_id, &loaded), "running");
  EXPECT_GE(loaded, 1);
  EXPECT_LT(loaded, kTables);
  std::string staging = Scalar("SELECT staging_schema FROM airpg.runs WHERE run_id = $1::bigint",
                               {std::to_string(run_id)});
  EXPECT_EQ(Number("SELECT count(*) FROM " + staging + "._checksums"),
            Number("SELECT sum(records_read) FROM airpg.run_tables WHERE run_id = $1::bigint",
                   {std::to_string(run_id)}));

  MigrateToTheEnd();
  EXPECT_EQ(Number("SELECT count(*) FROM airpg.runs"), 1);
  ExpectConverged();
}

}  // namespace
}  // namespace airpg::testing
