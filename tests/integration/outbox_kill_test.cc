// Exactly-once effect of two-way sync under SIGKILL (issue 16): a generated
// base with every table writable (AIRPG_SYNC_AUTHORITY=both), a driver
// inserting and updating rows in Postgres without pause, and the real `airpg
// sync` SIGKILLed 20 times at seeded random points (start, claim, send,
// outcome — wherever they fall), with 5xx, 429s, bodies cut short and
// webhook pings dropped or sent twice injected all along (each life takes
// its echoes through loopback pings). A last run drains the outbox; then
// every row made in Postgres is in Airtable exactly once (the `airpg key`
// upsert found the record a killed life had made), every update landed, the
// rows carry their Airtable ids, and `airpg verify` finds Postgres and
// Airtable level. AIRPG_OUTBOX_KILL_SEED=N replays the delays and the
// driver's writes.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <thread>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "airpg_process.h"
#include "base/sql_identifier.h"
#include "emulator/emulator.h"
#include "emulator/generator.h"
#include "http/client.h"
#include "pg/testing/pg_test.h"
#include "replayable_seed.h"
#include "wait_for.h"

namespace airpg::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr int kKills = 20;
constexpr int kMinDelayMs = 200;
constexpr int kMaxDelayMs = 1500;

class OutboxKillTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    seed_ = ReplayableSeed("AIRPG_OUTBOX_KILL_SEED");
    rng_.seed(seed_);
    json data = emulator::GenerateBase(1, 50, seed_);
    base_id_ = data["bases"][0]["id"];
    emulator::EmulatorOptions options;
    options.data_json = data.dump();
    options.rate_limits = false;
    options.seed = seed_;
    auto started = emulator::Emulator::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    emulator_ = std::move(started).value();
    airpg_.SetEnv("DATABASE_URL", url());
    airpg_.SetEnv("AIRTABLE_ENDPOINT_URL", emulator_->url());
    airpg_.SetEnv("AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt);
    airpg_.SetEnv("AIRTABLE_TOKEN", "patOutboxKillTest");
    airpg_.SetEnv("AIRPG_AIRTABLE_BASE_ID", base_id_);
    airpg_.SetEnv("AIRPG_AIRTABLE_PER_BASE_LIMIT", "50");
    airpg_.SetEnv("AIRPG_SYNC_AUTHORITY", "both");
    airpg_.SetEnv("AIRPG_SYNC_DEBOUNCE_MS", "0");
  }

  std::string Scalar(const std::string& sql) {
    auto rows = conn().Exec(sql);
    return rows.ok() && rows->size() > 0 ? std::string(rows->Get(0, 0)) : "";
  }

  // Airtable's records of the table, by id (the emulator's UI view).
  std::map<std::string, json> AirtableRecords(const std::string& table_id) {
    std::map<std::string, json> out;
    http::Client http;
    std::string offset;
    do {
      auto r = http.Send("GET",
                         fmt::format("{}/__emulator/ui/{}/{}?pageSize=100{}", emulator_->url(),
                                     base_id_, table_id, offset.empty() ? "" : "&offset=" + offset),
                         {}, "");
      EXPECT_TRUE(r.ok());
      if (!r.ok()) break;
      json page = json::parse(r->body, nullptr, false);
      for (const auto& rec : page["records"]) out[rec["id"]] = rec["fields"];
      offset = page.value("offset", "");
    } while (!offset.empty());
    return out;
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  std::string base_id_;
  std::unique_ptr<emulator::Emulator> emulator_;
  AirpgProcess airpg_;
};

TEST_F(OutboxKillTest, TwentyKillsWhilePostgresWritesDuplicateNothingAndLoseNothing) {
  ProcessOutput migrate = airpg_.Run({"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  const std::string schema = Scalar("SELECT schema_name FROM airpg.bases");
  const std::string table_id = Scalar("SELECT table_id FROM airpg.tables LIMIT 1");
  const std::string table = QualifiedName(
      schema, Scalar("SELECT table_name FROM airpg.tables WHERE table_id = '" + table_id + "'"));
  auto column = [&](const std::string& name) {
    return QuoteIdentifier(Scalar("SELECT column_name FROM airpg.fields WHERE table_id = '" +
                                  table_id + "' AND airtable_name = '" + name + "'"));
  };
  const std::string name = column("Name"), notes = column("Notes");

  // The guard and capture exist once a sync has started.
  auto first = airpg_.Start({"sync", "--port", "0"}, "sync-0");
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(WaitFor([&] { return Scalar("SELECT count(*) FROM airpg.sync_authority") == "1"; },
                      milliseconds(30000)));
  first->Signal(SIGKILL);
  ASSERT_TRUE(first->Wait(milliseconds(30000)).has_value());

  // The driver: inserts (Name kill-N) and updates (Notes) without pause.
  std::atomic<bool> stop{false};
  std::atomic<int> inserted{0}, updated{0};
  std::string driver_error;
  std::thread driver([&, seed = seed_ + 1] {
    auto c = pg::Connection::Open(url());
    if (!c.ok()) {
      driver_error = c.status().ToString();
      return;
    }
    std::mt19937_64 rng(seed);
    while (!stop) {
      Status s;
      if (rng() % 2 == 0) {
        s = c->Run("INSERT INTO " + table + " (" + name + ") VALUES ($1)",
                   {fmt::format("kill-{}", inserted.load())});
        if (s.ok()) ++inserted;
      } else {
        s = c->Run("UPDATE " + table + " SET " + notes + " = $1 WHERE id = (SELECT id FROM " +
                       table + " ORDER BY id OFFSET $2 LIMIT 1)",
                   {fmt::format("note-{}", updated.load()), std::to_string(rng() % 40)});
        if (s.ok()) ++updated;
      }
      if (!s.ok()) {
        driver_error = s.ToString();
        return;
      }
      // Paced by the seed; a stop ends the pause at once.
      WaitFor([&] { return stop.load(); }, milliseconds(5 + rng() % 20));
    }
  });

  // Faults on while it runs: 5xx (a 500 may or may not have been applied),
  // 429s and bodies cut short — outcomes airpg cannot know, sent again.
  http::Client http;
  auto faults = http.Send("POST", emulator_->url() + "/__emulator/faults",
                          {{"Content-Type", "application/json"}},
                          R"({"error500":0.05,"error503":0.05,"error429":0.02,"truncate":0.05,)"
                          R"("dropPing":0.2,"duplicatePing":0.2})");
  ASSERT_TRUE(faults.ok() && faults->status == 200);

  std::uniform_int_distribution<int> delay(kMinDelayMs, kMaxDelayMs);
  int64_t done_before = 0;
  int lives_with_progress = 0;
  for (int n = 1; n <= kKills && driver_error.empty(); ++n) {
    auto child =
        airpg_.Start({"sync", "--port", "0", "--loopback-pings"}, fmt::format("sync-{}", n));
    ASSERT_NE(child, nullptr);
    WaitFor([&] { return child->Exited(); }, milliseconds(delay(rng_)));
    child->Signal(SIGKILL);
    ASSERT_TRUE(child->Wait(milliseconds(30000)).has_value());
    int64_t done = std::stoll(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'done'"));
    lives_with_progress += done > done_before;
    done_before = done;
  }
  stop = true;
  driver.join();
  ASSERT_EQ(driver_error, "");
  std::cout << fmt::format("[ driver   ] {} inserts, {} updates; {} of {} lives sent something\n",
                           inserted.load(), updated.load(), lives_with_progress, kKills);
  EXPECT_GT(lives_with_progress, 0);

  // The last life drains the outbox, faults off.
  ASSERT_TRUE(http.Send("POST", emulator_->url() + "/__emulator/faults",
                        {{"Content-Type", "application/json"}},
                        R"({"error500":0,"error503":0,"error429":0,"truncate":0,"dropPing":0,)"
                        R"("duplicatePing":0})")
                  .ok());
  auto last = airpg_.Start({"sync", "--port", "0", "--loopback-pings"}, "sync-last");
  ASSERT_NE(last, nullptr);
  bool drained = WaitFor(
      [&] { return Scalar("SELECT count(*) FROM airpg.outbox WHERE status <> 'done'") == "0"; },
      milliseconds(60000));
  last->Signal(SIGTERM);
  ASSERT_TRUE(last->Wait(milliseconds(30000)).has_value());
  ASSERT_TRUE(drained) << Scalar(
      "SELECT string_agg(status || ':' || coalesce(last_error, ''), ' | ') FROM airpg.outbox "
      "WHERE status <> 'done'");

  // Each row made in Postgres is in Airtable exactly once, with its id
  // written back; each row's Notes is Airtable's.
  std::map<std::string, json> records = AirtableRecords(table_id);
  std::map<std::string, int> by_name;
  for (const auto& [id, fields] : records) {
    if (fields.contains("Name") && fields["Name"].is_string()) ++by_name[fields["Name"]];
  }
  for (int i = 0; i < inserted; ++i) {
    EXPECT_EQ(by_name[fmt::format("kill-{}", i)], 1) << "kill-" << i;
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + table + " WHERE airtable_id IS NULL"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + table), std::to_string(records.size()));
  auto rows = conn().Exec("SELECT airtable_id, coalesce(" + notes + ", '') FROM " + table);
  ASSERT_TRUE(rows.ok());
  for (int i = 0; i < rows->size(); ++i) {
    const json& fields = records[std::string(rows->Get(i, 0))];
    EXPECT_EQ(fields.value("Notes", ""), rows->Get(i, 1)) << rows->Get(i, 0);
  }

  // And the product's own check agrees: every table, record and cell of
  // the mirror is Airtable's (verify reads Airtable afresh; no sync runs).
  ProcessOutput verify = airpg_.Run({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("verify: clean"), std::string::npos) << verify.out << verify.err;
}

}  // namespace
}  // namespace airpg::testing
