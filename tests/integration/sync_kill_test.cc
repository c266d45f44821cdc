// Principle 5 for the inbound sync under SIGKILL: a generated base with
// links is migrated, the real `airpg sync --loopback-pings` binary keeps it
// current while a driver makes a continuous stream of changes in the emulator
// (creates, updates, deletes, link changes; every write puts the next number
// of one increasing sequence into Amount), and the sync is SIGKILLed at
// random moments and started again, at least 20 times. Then the driver
// stops, the sync catches up, and Postgres must be level with Airtable —
// nothing lost, verify clean, deleted records tombstoned — with nothing
// applied twice or out of order (no duplicate rows or links; in the audit
// log of the sync's writes no Amount ever goes down).
//
// The driver also changes the schema (adds text fields, renames one and adds
// another back to back), so kills land in schema refreshes too and the new
// columns must be filled when verify runs. The test asserts that its kills
// proved something: some landed mid-apply (a sync session had a write
// transaction open at the SIGKILL; every fourth kill waits for one), and
// lives committed payloads (every fourth kill waits until its life has).
//
// Most restarts listen on the same port, so the webhook is kept and the
// restart reads its payloads from the cursor the killed one committed; every
// fifth listens elsewhere, so the hook is re-pointed (replaced) and the
// payloads in between are the safety poll's and the delete sweep's to find.
// The delays come from a seeded PRNG; the seed is printed, and
// AIRPG_KILL_SEED=N replays the same delays and changes (where they land
// still depends on the machine's speed). Each kill is logged with what the
// sync's sessions were running.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <tuple>
#include <utility>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "airpg_process.h"
#include "change_driver.h"
#include "emulator/emulator.h"
#include "emulator/generator.h"
#include "free_port.h"
#include "pg/testing/pg_test.h"
#include "replayable_seed.h"
#include "sync/live_schema.h"
#include "sync_level.h"
#include "wait_for.h"

namespace airpg::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr int kTables = 3;
constexpr int kRecords = 100;
constexpr int kKills = 20;
constexpr int kMinDelayMs = 100;
constexpr int kMaxDelayMs = 1500;

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string LastLine(const std::string& text) {
  std::vector<std::string> lines = Lines(text);
  if (lines.empty()) return "(no output)";
  std::string last = lines.back();
  return last.size() > 90 ? last.substr(0, 90) + "…" : last;
}

// When a kill lands: after its random delay, or after it as soon as the sync
// is seen applying, or as soon as it has committed progress.
enum class KillAt { kRandom, kMidApply, kAfterProgress };

// What one kill hit.
struct Kill {
  int port = 0;
  double delay = 0;
  std::string sessions;    // the sync's Postgres sessions at the kill
  std::string log;         // its last log line
  int64_t cursor = 0;      // the payload cursor committed after the kill
  std::string webhook;     // the hook that cursor belongs to
  int64_t applied = 0;     // rows the sync wrote (audit log) since the previous kill
  bool mid_apply = false;  // a sync session had a write transaction open at the kill
  bool advanced = false;   // this life committed payloads (the cursor moved on)
  KillAt at = KillAt::kRandom;
};

class SyncKillTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    seed_ = ReplayableSeed("AIRPG_KILL_SEED");
    rng_.seed(seed_);

    data_ = emulator::GenerateBase(kTables, kRecords, seed_);
    base_id_ = data_["bases"][0]["id"];
    emulator::EmulatorOptions options;
    options.data_json = data_.dump();
    options.rate_limits = false;
    options.seed = seed_;
    auto started = emulator::Emulator::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    emulator_ = std::move(started).value();

    airpg_.SetEnv("DATABASE_URL", url());
    airpg_.SetEnv("AIRTABLE_ENDPOINT_URL", emulator_->url());
    airpg_.SetEnv("AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt);
    airpg_.SetEnv("AIRTABLE_TOKEN", "patSyncKillTest");
    airpg_.SetEnv("AIRPG_AIRTABLE_BASE_ID", base_id_);
    // The emulator has no rate limits here: a faster pacer lets each short
    // life of the sync get further than its start.
    airpg_.SetEnv("AIRPG_AIRTABLE_PER_BASE_LIMIT", "50");
    // The driver deletes about a sixth of the records on purpose; a restart
    // that replaces the webhook sweeps every table, and that share of a small
    // table must be applied, not held as a mass delete (the guard has its
    // own tests: SyncApplyTest, sync_cli_test).
    airpg_.SetEnv("AIRPG_SYNC_MAX_DELETE_SHARE", "1");
  }

  int64_t Number(const std::string& sql) {
    auto rows = conn().Exec(sql);
    return rows.ok() && rows->size() > 0 && !rows->IsNull(0, 0)
               ? std::stoll(std::string(rows->Get(0, 0)))
               : -1;
  }

  // The statements the other sessions of the test's database are running.
  std::string Sessions() {
    auto rows = conn().Exec(
        "SELECT coalesce(string_agg(state || coalesce(' [' || wait_event_type || ']', '') || "
        "': ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 60), ' | '), '(none busy)') "
        "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND state <> 'idle'");
    return rows.ok() ? std::string(rows->Get(0, 0)) : rows.status().ToString();
  }

  // Whether another session of the test's database has a transaction that
  // has written (it has an xid) and is not the webhook receiver's note of a
  // ping: the sync in the middle of applying.
  bool Applying() {
    return Number(
               "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
               "pid <> pg_backend_pid() AND backend_xid IS NOT NULL AND "
               "query NOT LIKE '%airpg.inbox%' AND query NOT LIKE '%last_ping_at%'") > 0;
  }

  // The committed payload position: the hook and its cursor.
  std::pair<std::string, int64_t> Position() {
    auto rows = conn().Exec(
        "SELECT coalesce(max(webhook_id), ''), coalesce(max(cursor), 0) FROM "
        "airpg.sync_bases");
    if (!rows.ok()) return {"", 0};
    return {std::string(rows->Get(0, 0)), std::stoll(std::string(rows->Get(0, 1)))};
  }

  // Whether payloads were committed since `from`: the cursor moved on under
  // the same hook, or past the start of a new one.
  bool Advanced(const std::pair<std::string, int64_t>& from) {
    auto now = Position();
    return now.first == from.first ? now.second > from.second : now.second > 1;
  }

  int64_t AuditRows() {
    return Number("SELECT count(*) FROM airpg.audit_log WHERE origin = 'airtable'");
  }

  // Runs `airpg sync` on `port` and SIGKILLs it after `delay`, then, as
  // `at` says, as soon as the sync is seen applying or has committed
  // payloads (a condition with a deadline, never a longer sleep: on a loaded
  // machine a short life may commit nothing).
  Kill SyncAndKill(int port, double delay, int n, KillAt at) {
    Kill kill{port, delay};
    kill.at = at;
    const auto start = Position();
    auto child = airpg_.Start({"sync", "--loopback-pings", "--port", std::to_string(port)},
                              fmt::format("sync-{}", n));
    if (child == nullptr) return kill;
    bool exited =
        WaitFor([&] { return child->Exited(); }, milliseconds(static_cast<int64_t>(delay * 1000)));
    if (!exited && at != KillAt::kRandom) {
      auto from = SteadyClock::now();
      bool seen = WaitFor(
          [&] {
            return child->Exited() || (at == KillAt::kMidApply ? Applying() : Advanced(start));
          },
          milliseconds(30000));
      EXPECT_TRUE(seen) << "kill " << n << ": in 30 s the sync was never seen "
                        << (at == KillAt::kMidApply ? "applying" : "committing payloads");
      exited = child->Exited();
      kill.delay += Seconds(SteadyClock::now() - from);
    }
    if (exited) {
      ProcessOutput out = *child->Wait(milliseconds(0));
      ADD_FAILURE() << "the sync ended on its own (exit " << out.exit_code << "):\n" << out.err;
      return kill;
    }
    kill.sessions = Sessions();
    kill.mid_apply = Applying();
    child->Signal(SIGKILL);
    std::optional<ProcessOutput> out = child->Wait(milliseconds(10000));
    EXPECT_TRUE(out.has_value()) << "the killed sync did not end";
    if (out) {
      EXPECT_EQ(out->term_signal, SIGKILL);
      kill.log = LastLine(out->err);
    }
    std::tie(kill.webhook, kill.cursor) = Position();
    kill.advanced = Advanced(start);
    return kill;
  }

  static void Report(const std::vector<Kill>& kills) {
    for (size_t i = 0; i < kills.size(); ++i) {
      const Kill& k = kills[i];
      std::cout << fmt::format(
          "[ kill {:>3} ] port {} after {:.3f} s{}{}: cursor {}, +{} rows | {} | {}\n", i + 1,
          k.port, k.delay, k.mid_apply ? " mid-apply" : "", k.advanced ? " advanced" : "", k.cursor,
          k.applied, k.sessions, k.log);
    }
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  json data_;
  std::string base_id_;
  std::unique_ptr<emulator::Emulator> emulator_;
  AirpgProcess airpg_;
};

TEST_F(SyncKillTest, TwentyKillsDuringAStreamOfChangesLoseNothingAndApplyNothingTwice) {
  auto started = SteadyClock::now();
  ProcessOutput migrate = airpg_.Run({"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  auto live = sync::LoadLiveBase(conn(), base_id_);
  ASSERT_TRUE(live.ok()) << live.status().ToString();

  const int port = FreePort(), other_port = FreePort();
  ASSERT_NE(port, 0);
  ASSERT_NE(other_port, 0);
  ChangeDriver driver(emulator_->url(), data_, seed_ + 1);
  driver.EnableSchemaChanges(150);
  driver.Start(milliseconds(3), milliseconds(10));

  std::vector<Kill> kills;
  int64_t audit = AuditRows();
  std::uniform_real_distribution<double> delay(kMinDelayMs / 1000.0, kMaxDelayMs / 1000.0);
  for (int n = 1; n <= kKills && !HasFailure(); ++n) {
    // Every fourth waits to land mid-apply, every fourth (others) to land
    // after the life committed payloads; the rest land where they fall.
    KillAt at = n % 4 == 2   ? KillAt::kMidApply
                : n % 4 == 0 ? KillAt::kAfterProgress
                             : KillAt::kRandom;
    Kill kill = SyncAndKill(n % 5 == 0 ? other_port : port, delay(rng_), n, at);
    int64_t now = AuditRows();
    kill.applied = now - audit;
    audit = now;
    kills.push_back(std::move(kill));
  }
  driver.Stop();
  ASSERT_EQ(driver.error(), "") << driver.Summary();
  std::cout << "[ driver   ] " << driver.Summary() << "\n";
  Report(kills);
  ASSERT_FALSE(HasFailure());
  // The kills proved something: some cut an apply short, and the lives
  // between them committed payloads — every life that waited for progress,
  // and any other that got that far.
  int mid_apply = 0, advanced = 0;
  for (const Kill& k : kills) {
    mid_apply += k.mid_apply;
    advanced += k.advanced;
    if (k.at == KillAt::kAfterProgress) {
      EXPECT_TRUE(k.advanced) << "a life committed nothing";
    }
  }
  std::cout << fmt::format("[ kills    ] {} of {} mid-apply, {} after the cursor advanced\n",
                           mid_apply, kills.size(), advanced);
  EXPECT_GE(mid_apply, 1) << "no kill landed while the sync was applying";
  EXPECT_GT(driver.schema_changes(), 0);

  // The last restart runs until Postgres is level with Airtable.
  auto state = ReadAirtableState(emulator_->url(), *live);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  auto sync = airpg_.Start({"sync", "--loopback-pings", "--port", std::to_string(port)}, "sync");
  ASSERT_NE(sync, nullptr);
  auto caught_up_from = SteadyClock::now();
  std::string differences;
  bool level = WaitFor(
      [&] {
        differences = Differences(conn(), *live, *state);
        return differences.empty() || sync->Exited();
      },
      milliseconds(60000));
  EXPECT_TRUE(level && differences.empty()) << "Postgres is not level with Airtable:\n"
                                            << differences << "sync log:\n"
                                            << sync->Stderr();
  std::cout << fmt::format("[ caught up] in {:.1f} s\n",
                           Seconds(SteadyClock::now() - caught_up_from));
  sync->Signal(SIGTERM);
  std::optional<ProcessOutput> ended = sync->Wait(milliseconds(20000));
  ASSERT_TRUE(ended.has_value()) << "the sync did not stop on SIGTERM";
  EXPECT_EQ(ended->exit_code, 0) << ended->err;

  ProcessOutput verify = airpg_.Run({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("verify: clean"), std::string::npos) << verify.out;
  EXPECT_EQ(DoubleApplies(conn(), *live), "");
  int64_t tombstoned = 0;
  EXPECT_EQ(DeletedStayDeleted(conn(), *live, driver.deleted(), &tombstoned), "");
  std::cout << fmt::format(
      "[ result   ] {} kills, {} rows written by the sync, {} of {} deleted records tombstoned, "
      "{} sweeps held back as mass deletes, {} dead letters open, {:.1f} s\n",
      kills.size(), AuditRows(), tombstoned, driver.deleted().size(),
      Number("SELECT count(*) FROM airpg.sync_events WHERE kind = 'delete_held'"),
      Number("SELECT count(*) FROM airpg.dead_letters WHERE status IN ('retrying', 'dead')"),
      Seconds(SteadyClock::now() - started));
}

}  // namespace
}  // namespace airpg::testing
