// Exactly-once effect of two-way sync under SIGKILL (issue 16): a generated
// base of three linked tables, every table writable (AIRPG_SYNC_AUTHORITY=
// both), two writers at once without pause, and the real `airpg sync`
// SIGKILLed 20 times at seeded random points (start, claim, send, outcome,
// inbound apply — wherever they fall), with 5xx, 429s, bodies cut short and
// webhook pings dropped or sent twice injected all along (each life takes
// its echoes and the Airtable writer's payloads through loopback pings).
//
// The writers:
// - in Postgres (SQL, as an application would): inserts, updates of Notes,
//   hard and soft deletes (see below), a single-record link
//   (the third table's link to the second prefers one record: a foreign key)
//   set or cleared, and a multi-record link (the junction of the first two
//   tables) replaced by a new ordered list;
// - in Airtable (ChangeDriver, the emulator's UI endpoints): creates, updates
//   of Amount, deletes and link changes.
// Each side creates, deletes and links only its own records (a third of the
// generated records each, plus what it made), so the end state is known
// without racing a delete against a link (a link to a record deleted on the
// other side is a 422 by design; conflict_sync_test has same-field races);
// the last third both update (Postgres Notes, Airtable Amount and links) and
// neither deletes.
//
// One of the Postgres writer's changes races the Airtable writer's deletes:
// updates of any live row, one the Airtable writer may be deleting (a
// delete-vs-update conflict the rule decides: under `latest` by the
// delete's time in its webhook payload when the inbound side meets it
// first, else the delete, seen after the update's commit, wins;
// sync/deleted_records.h). Deletes are hard or soft (deleted_at), as the
// seed draws each: a soft delete leaves its links as a hard delete does,
// also a row's whose create never reached Airtable (sync/soft_deletes.h),
// and a soft delete pending in the outbox is not undone by an older read
// (TwoWayDeletesTest). Links stay inside thirds: a link to a record deleted
// on the other side is a 422 by design.
//
// A last run drains the outbox and catches up; then nothing is lost or
// duplicated: each record either side made is in both exactly once (by its
// unique name) unless deleted, each deleted one is in neither, Postgres's
// live rows are exactly Airtable's records with their Amount and links, no
// record was applied twice, and `airpg verify` finds the two level.
// AIRPG_OUTBOX_KILL_SEED=N replays the delays and both writers' changes
// (where the kills land still depends on the machine's speed).
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "airpg_process.h"
#include "base/sql_identifier.h"
#include "change_driver.h"
#include "emulator/emulator.h"
#include "emulator/generator.h"
#include "free_port.h"
#include "http/client.h"
#include "pg/testing/pg_test.h"
#include "pg/transaction.h"
#include "replayable_seed.h"
#include "sync/live_schema.h"
#include "sync_level.h"
#include "wait_for.h"

namespace airpg::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr int kTables = 3;
constexpr int kRecords = 30;
constexpr int kKills = 20;
constexpr int kMinDelayMs = 200;
constexpr int kMaxDelayMs = 1500;

// What the Postgres writer works on, found in the live base's plan.
struct PostgresSchema {
  std::vector<std::string> tables;  // qualified, in the base's order
  std::vector<std::string> name, notes, amount;
  // The junction of the multi-record link: its owning table (from_id) and
  // the linked one (to_id), as indexes into `tables`.
  std::string junction;
  size_t junction_from = 0, junction_to = 0;
  // The single-record link: a foreign key column of `fk_table` to `fk_to`.
  std::string fk_column;
  size_t fk_table = 0, fk_to = 0;
};

// The writer in Postgres. Works only on its own rows (`pool`); records the
// names it inserted and which of them it deleted. Deterministic for a seed.
class PostgresDriver {
 public:
  // Per table: the rows it owns, and the rows both writers update (never delete).
  PostgresDriver(const PostgresSchema& s, std::vector<std::vector<int64_t>> pool,
                 std::vector<std::vector<int64_t>> shared, uint64_t seed)
      : s_(s), pool_(std::move(pool)), shared_(std::move(shared)), rng_(seed) {}

  void Run(const std::string& url, const std::atomic<bool>& stop) {
    auto c = pg::Connection::Open(url);
    if (!c.ok()) {
      error_ = c.status().ToString();
      return;
    }
    while (!stop) {
      Status s = Change(*c);
      if (!s.ok()) {
        error_ = s.ToString();
        return;
      }
      ++changes_;
      // Paced by the seed; a stop ends the pause at once.
      WaitFor([&] { return stop.load(); }, milliseconds(10 + rng_() % 40));
    }
  }

  const std::string& error() const { return error_; }
  // Name → whether the row is still live.
  const std::map<std::string, bool>& inserted() const { return inserted_; }
  std::string Summary() const {
    return fmt::format(
        "{} changes: {} inserts, {} updates, {} multi-link lists, {} single links, {} soft and {} "
        "hard deletes",
        changes_, inserts_, updates_, multi_links_, single_links_, soft_deletes_, hard_deletes_);
  }

 private:
  // A deadlock (the sync's DDL, e.g. adding the `airpg key` column, against
  // this transaction) aborts one side; an application tries again.
  static bool Deadlock(const Status& s) {
    return s.message().find("40P01") != std::string_view::npos ||
           s.message().find("40001") != std::string_view::npos;
  }
  template <typename F>
  static Status Retrying(F attempt) {
    Status s;
    for (int i = 0; i < 5; ++i) {
      s = attempt();
      if (!Deadlock(s)) return s;
    }
    return s;
  }
  static Status Run(pg::Connection& c, const std::string& sql,
                    const std::vector<pg::Param>& params) {
    return Retrying([&] { return c.Run(sql, params); });
  }

  Status Change(pg::Connection& c) {
    size_t t = rng_() % s_.tables.size();
    int roll = static_cast<int>(rng_() % 100);
    if (roll < 25 || pool_[t].size() < 5) return Insert(c, t);
    if (roll < 45) {
      ++updates_;
      // One of its rows, a shared one (a field the Airtable writer never
      // writes), or any live row, one the Airtable writer may be deleting.
      int which = static_cast<int>(rng_() % 3);
      if (which == 2) {
        return Run(c,
                   "UPDATE " + s_.tables[t] + " SET " + s_.notes[t] +
                       " = $1 WHERE id = (SELECT id FROM " + s_.tables[t] +
                       " WHERE deleted_at IS NULL ORDER BY id OFFSET $2 LIMIT 1)",
                   {fmt::format("pg note {}", changes_), std::to_string(rng_() % 40)});
      }
      const auto& rows = which == 0 ? pool_[t] : shared_[t];
      if (rows.empty()) return Status::Ok();
      return Run(c, "UPDATE " + s_.tables[t] + " SET " + s_.notes[t] + " = $1 WHERE id = $2",
                 {fmt::format("pg note {}", changes_), std::to_string(rows[rng_() % rows.size()])});
    }
    if (roll < 63) return ReplaceLinks(c);
    if (roll < 75) return SetSingleLink(c);
    return Delete(c, t, /*soft=*/rng_() % 2 == 0);
  }

  Status Insert(pg::Connection& c, size_t t) {
    std::string name = fmt::format("pg-{}-{}", t + 1, inserts_);
    std::string id;
    AIRPG_RETURN_IF_ERROR(Retrying([&]() -> Status {
      AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                             c.Exec("INSERT INTO " + s_.tables[t] + " (" + s_.name[t] + ", " +
                                        s_.amount[t] + ") VALUES ($1, $2) RETURNING id",
                                    {name, std::to_string(inserts_)}));
      id = rows.Get(0, 0);
      return Status::Ok();
    }));
    pool_[t].push_back(std::stoll(id));
    inserted_[name] = true;
    names_[{t, pool_[t].back()}] = name;
    ++inserts_;
    return Status::Ok();
  }

  // A row of the junction's owner gets a new ordered list of 0–3 targets.
  Status ReplaceLinks(pg::Connection& c) {
    const auto& from = pool_[s_.junction_from];
    const auto& to = pool_[s_.junction_to];
    if (from.empty()) return Status::Ok();
    int64_t row = from[rng_() % from.size()];
    std::vector<int64_t> targets = to;
    std::shuffle(targets.begin(), targets.end(), rng_);
    targets.resize(std::min<size_t>(targets.size(), rng_() % 4));
    ++multi_links_;
    return Retrying([&]() -> Status {
      AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(c));
      AIRPG_RETURN_IF_ERROR(
          tx.Run("DELETE FROM " + s_.junction + " WHERE from_id = $1", {std::to_string(row)}));
      for (size_t i = 0; i < targets.size(); ++i) {
        AIRPG_RETURN_IF_ERROR(
            tx.Run("INSERT INTO " + s_.junction + " (from_id, to_id, position) VALUES ($1, $2, $3)",
                   {std::to_string(row), std::to_string(targets[i]), std::to_string(i)}));
      }
      return tx.Commit();
    });
  }

  // A row of the foreign key's table links one record, or none (1 in 5).
  Status SetSingleLink(pg::Connection& c) {
    const auto& rows = pool_[s_.fk_table];
    const auto& to = pool_[s_.fk_to];
    if (rows.empty() || to.empty()) return Status::Ok();
    int64_t row = rows[rng_() % rows.size()];
    std::optional<std::string> target;
    if (rng_() % 5 != 0) target = std::to_string(to[rng_() % to.size()]);
    ++single_links_;
    return Run(c,
               "UPDATE " + s_.tables[s_.fk_table] + " SET " + s_.fk_column + " = $1 WHERE id = $2",
               {target, std::to_string(row)});
  }

  Status Delete(pg::Connection& c, size_t t, bool soft) {
    size_t i = rng_() % pool_[t].size();
    int64_t row = pool_[t][i];
    pool_[t][i] = pool_[t].back();
    pool_[t].pop_back();
    if (auto n = names_.find({t, row}); n != names_.end()) inserted_[n->second] = false;
    ++(soft ? soft_deletes_ : hard_deletes_);
    return Run(c,
               soft ? "UPDATE " + s_.tables[t] + " SET deleted_at = now() WHERE id = $1"
                    : "DELETE FROM " + s_.tables[t] + " WHERE id = $1",
               {std::to_string(row)});
  }

  const PostgresSchema& s_;
  std::vector<std::vector<int64_t>> pool_;    // per table: live row ids it owns
  std::vector<std::vector<int64_t>> shared_;  // per table: rows both update
  std::mt19937_64 rng_;
  std::map<std::string, bool> inserted_;
  std::map<std::pair<size_t, int64_t>, std::string> names_;  // its inserted rows
  int64_t changes_ = 0, inserts_ = 0, updates_ = 0, multi_links_ = 0, single_links_ = 0,
          soft_deletes_ = 0, hard_deletes_ = 0;
  std::string error_;
};

class OutboxKillTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    seed_ = ReplayableSeed("AIRPG_OUTBOX_KILL_SEED");
    rng_.seed(seed_);
    data_ = emulator::GenerateBase(kTables, kRecords, seed_);
    base_id_ = data_["bases"][0]["id"];
    // The last table's link to the one before prefers a single record (the
    // generator gives each record one): a foreign key column in Postgres.
    for (json& f : data_["bases"][0]["tables"][kTables - 1]["fields"]) {
      if (f["name"] == fmt::format("Table {}", kTables - 1)) {
        f["options"]["prefersSingleRecordLink"] = true;
      }
    }
    KeepLinksInsideThirds();
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
    airpg_.SetEnv("AIRTABLE_TOKEN", "patOutboxKillTest");
    airpg_.SetEnv("AIRPG_AIRTABLE_BASE_ID", base_id_);
    airpg_.SetEnv("AIRPG_AIRTABLE_PER_BASE_LIMIT", "50");
    airpg_.SetEnv("AIRPG_SYNC_AUTHORITY", "both");
    airpg_.SetEnv("AIRPG_SYNC_DEBOUNCE_MS", "0");
    // Both writers delete on purpose; a round or a sweep deleting a large
    // share of a small table must go through, not be held as a mass delete
    // (the breaker has its own tests).
    airpg_.SetEnv("AIRPG_SYNC_MAX_DELETE_SHARE", "1");
  }

  std::string Scalar(const std::string& sql) {
    auto rows = conn().Exec(sql);
    return rows.ok() && rows->size() > 0 ? std::string(rows->Get(0, 0)) : "";
  }

  // The records split in thirds by index (see the test); a generated link
  // across thirds would let one writer's delete touch the other's records
  // (a cascade in Postgres becomes a write to a record Airtable deleted), so
  // each link is moved to the record of the same third next to its target,
  // and the inverse cells are rebuilt.
  void KeepLinksInsideThirds() {
    json& tables = data_["bases"][0]["tables"];
    for (size_t t = 1; t < tables.size(); ++t) {
      const std::string field = fmt::format("Table {}", t);
      const std::string inverse = fmt::format("Table {}", t + 1);
      json& targets = tables[t - 1]["records"];
      std::map<std::string, size_t> index;
      for (size_t k = 0; k < targets.size(); ++k) {
        index[targets[k]["id"]] = k;
        targets[k]["fields"].erase(inverse);
      }
      json& records = tables[t]["records"];
      for (size_t r = 0; r < records.size(); ++r) {
        json& cell = records[r]["fields"][field];
        json moved = json::array();
        for (const json& target : cell) {
          size_t k = index[target.get<std::string>()];
          k = k - k % 3 + r % 3;
          if (k >= targets.size()) k = r % 3;
          moved.push_back(targets[k]["id"]);
          targets[k]["fields"][inverse].push_back(records[r]["id"]);
        }
        cell = moved;
      }
    }
  }

  // The tables, columns, junction and foreign key of the migrated base.
  PostgresSchema SchemaOf(const sync::LiveBase& live) {
    PostgresSchema s;
    std::map<std::string, size_t> index;
    for (const auto& t : live.plan.tables) {
      index[t.table_id] = s.tables.size();
      s.tables.push_back(QualifiedName(live.schema, t.table_name));
      for (const auto& f : t.fields) {
        if (f.field.name == "Name") s.name.push_back(QuoteIdentifier(f.column_name));
        if (f.field.name == "Notes") s.notes.push_back(QuoteIdentifier(f.column_name));
        if (f.field.name == "Amount") s.amount.push_back(QuoteIdentifier(f.column_name));
      }
    }
    for (const auto& t : live.plan.tables) {
      for (const auto& f : t.fields) {
        if (f.link_role == mapping::LinkRole::kJunction) {
          s.junction = QualifiedName(live.schema, f.relation_table);
          s.junction_from = index[t.table_id];
          s.junction_to = index[f.linked_table_id];
        }
        if (f.column.storage == mapping::Storage::kForeignKey) {
          s.fk_column = QuoteIdentifier(f.column_name);
          s.fk_table = index[t.table_id];
          s.fk_to = index[f.linked_table_id];
        }
      }
    }
    return s;
  }

  // Airtable's records of a table, by id (the emulator's UI view).
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

  Status Faults(const std::string& body) {
    http::Client http;
    auto r = http.Send("POST", emulator_->url() + "/__emulator/faults",
                       {{"Content-Type", "application/json"}}, body);
    if (!r.ok()) return r.status();
    return r->status == 200 ? Status::Ok() : UnavailableError(r->body);
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  json data_;
  std::string base_id_;
  std::unique_ptr<emulator::Emulator> emulator_;
  AirpgProcess airpg_;
};

TEST_F(OutboxKillTest, TwentyKillsWhileBothSidesWriteDuplicateNothingAndLoseNothing) {
  ProcessOutput migrate = airpg_.Run({"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  auto live = sync::LoadLiveBase(conn(), base_id_);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  const PostgresSchema schema = SchemaOf(*live);
  ASSERT_EQ(schema.tables.size(), static_cast<size_t>(kTables));
  ASSERT_EQ(schema.name.size(), static_cast<size_t>(kTables));
  ASSERT_EQ(schema.notes.size(), static_cast<size_t>(kTables));
  ASSERT_EQ(schema.amount.size(), static_cast<size_t>(kTables));
  ASSERT_FALSE(schema.junction.empty()) << "no multi-record link was mirrored as a junction";
  ASSERT_FALSE(schema.fk_column.empty()) << "no single-record link was mirrored as a foreign key";

  // The generated records split in three: the Airtable writer's (and
  // whatever it creates), Postgres's (and whatever it inserts), and shared
  // ones both update (Postgres Notes, Airtable Amount and links) but
  // neither deletes.
  std::vector<std::vector<int64_t>> pool(kTables), shared(kTables);
  std::set<std::string> postgres_records, shared_records;
  const json& tables = data_["bases"][0]["tables"];
  for (size_t t = 0; t < tables.size(); ++t) {
    for (size_t r = 0; r < tables[t]["records"].size(); ++r) {
      if (r % 3 == 0) continue;
      std::string id = tables[t]["records"][r]["id"];
      (r % 3 == 1 ? postgres_records : shared_records).insert(id);
      (r % 3 == 1 ? pool : shared)[t].push_back(std::stoll(
          Scalar("SELECT id FROM " + schema.tables[t] + " WHERE airtable_id = '" + id + "'")));
    }
  }

  // The guard and capture exist once a sync has started.
  auto first = airpg_.Start({"sync", "--port", "0"}, "sync-0");
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(WaitFor(
      [&] {
        return Scalar("SELECT count(*) FROM airpg.sync_authority") == std::to_string(kTables);
      },
      milliseconds(30000)));
  first->Signal(SIGKILL);
  ASSERT_TRUE(first->Wait(milliseconds(30000)).has_value());

  std::atomic<bool> stop{false};
  PostgresDriver postgres(schema, pool, shared, seed_ + 1);
  std::thread postgres_thread([&] { postgres.Run(url(), stop); });
  ChangeDriver airtable(emulator_->url(), data_, seed_ + 2);
  airtable.LeaveAlone(postgres_records);
  airtable.NeverDelete(shared_records);
  airtable.Start(milliseconds(20), milliseconds(80));

  // Faults on while they run: 5xx (a 500 may or may not have been applied),
  // 429s and bodies cut short — outcomes airpg cannot know, sent again.
  ASSERT_TRUE(Faults(R"({"error500":0.05,"error503":0.05,"error429":0.02,"truncate":0.05,)"
                     R"("dropPing":0.2,"duplicatePing":0.2})")
                  .ok());

  // Every life listens on one port, so the webhook is kept and each life
  // reads its payloads from the cursor the killed one committed.
  const std::string port = std::to_string(FreePort());
  std::uniform_int_distribution<int> delay(kMinDelayMs, kMaxDelayMs);
  int64_t done_before = 0;
  int lives_with_progress = 0;
  for (int n = 1; n <= kKills && postgres.error().empty(); ++n) {
    auto child =
        airpg_.Start({"sync", "--port", port, "--loopback-pings"}, fmt::format("sync-{}", n));
    ASSERT_NE(child, nullptr);
    WaitFor([&] { return child->Exited(); }, milliseconds(delay(rng_)));
    if (n % 4 == 0) {
      // Every fourth life lives until it has sent something (a loaded
      // machine may take longer than any delay to start a life), and dies
      // right after.
      WaitFor(
          [&] {
            return child->Exited() ||
                   std::stoll(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'done'")) >
                       done_before;
          },
          milliseconds(30000));
    }
    child->Signal(SIGKILL);
    ASSERT_TRUE(child->Wait(milliseconds(30000)).has_value());
    int64_t done = std::stoll(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'done'"));
    lives_with_progress += done > done_before;
    done_before = done;
  }
  stop = true;
  postgres_thread.join();
  airtable.Stop();
  ASSERT_EQ(postgres.error(), "");
  ASSERT_EQ(airtable.error(), "");
  std::cout << fmt::format(
      "[ postgres ] {}\n[ airtable ] {}\n[ lives    ] {} of {} sent something\n",
      postgres.Summary(), airtable.Summary(), lives_with_progress, kKills);
  EXPECT_GE(lives_with_progress, kKills / 4);

  // The last life, faults off, drains the outbox and catches up: the
  // outbox is empty and Postgres is level with what Airtable then holds.
  ASSERT_TRUE(Faults(R"({"error500":0,"error503":0,"error429":0,"truncate":0,"dropPing":0,)"
                     R"("duplicatePing":0})")
                  .ok());
  auto last = airpg_.Start({"sync", "--port", port, "--loopback-pings"}, "sync-last");
  ASSERT_NE(last, nullptr);
  std::string differences = "(the outbox never drained)";
  // Drained: nothing pending (a dead change is reported below).
  auto drained = [&] {
    return Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'pending'") == "0";
  };
  bool level = WaitFor(
      [&] {
        if (last->Exited() || !drained()) return last->Exited();
        auto state = ReadAirtableState(emulator_->url(), *live);
        if (!state.ok()) return false;
        differences = Differences(conn(), *live, *state, /*live_links_only=*/true);
        return differences.empty() && drained();
      },
      milliseconds(90000));
  last->Signal(SIGTERM);
  ASSERT_TRUE(last->Wait(milliseconds(30000)).has_value());
  const std::string not_done = Scalar(
      "SELECT string_agg(format('%s %s row %s (%s) %s: %s; request %s', status, table_name, "
      "row_id, airtable_id, changed_columns, last_error, left(request, 600)), E'\\n') FROM "
      "airpg.outbox WHERE status NOT IN ('done', 'dropped')");
  // What became of a change not sent: its row's history (audit log, the
  // outbox) and the history of the records its error names.
  EXPECT_EQ(not_done, "")
      << "changes not sent; their rows' history:\n"
      << Scalar(
             "SELECT string_agg(format('%s %s %s row %s (%s) %s %s: %s', a.at, a.origin, "
             "a.operation, a.row_id, a.airtable_id, a.changed_columns, a.txid, "
             "left(a.new_row::text, 300)), E'\\n' ORDER BY a.at) FROM airpg.audit_log a WHERE "
             "EXISTS (SELECT 1 FROM airpg.outbox o WHERE o.status NOT IN ('done', 'dropped') AND "
             "((o.table_name = a.table_name AND o.row_id = a.row_id) OR o.last_error LIKE '%' || "
             "a.airtable_id || '%'))")
      << "\noutbox:\n"
      << Scalar(
             "SELECT string_agg(format('%s %s %s row %s (%s) %s %s done %s: %s', o.created_at, "
             "o.status, o.operation, o.row_id, o.airtable_id, o.changed_columns, o.field_id, "
             "o.done_at, left(o.last_error, 200)), E'\\n' ORDER BY o.outbox_id) FROM airpg.outbox "
             "o WHERE EXISTS (SELECT 1 FROM airpg.outbox d WHERE d.status NOT IN ('done', "
             "'dropped') AND d.table_name = o.table_name AND d.row_id = o.row_id)");
  ASSERT_TRUE(level && differences.empty())
      << differences << "\nnot done: "
      << Scalar(
             "SELECT string_agg(format('%s %s row %s (%s) %s: %s; request %s', status, "
             "table_name, row_id, airtable_id, changed_columns, last_error, left(request, 600)), "
             "E'\n') FROM airpg.outbox WHERE status <> 'done'")
      << "\nsync log:\n"
      << last->Stderr();

  // Nothing duplicated or lost, by name, on both sides: each record a
  // writer made is in Airtable and live in Postgres exactly once unless it
  // was deleted, and then in neither.
  std::map<std::string, int> airtable_names, postgres_names;
  for (size_t t = 0; t < schema.tables.size(); ++t) {
    for (const auto& [id, fields] : AirtableRecords(live->plan.tables[t].table_id)) {
      if (fields.contains("Name") && fields["Name"].is_string()) ++airtable_names[fields["Name"]];
    }
    auto rows = conn().Exec("SELECT " + schema.name[t] + " FROM " + schema.tables[t] +
                            " WHERE deleted_at IS NULL AND " + schema.name[t] + " IS NOT NULL");
    ASSERT_TRUE(rows.ok());
    for (int i = 0; i < rows->size(); ++i) ++postgres_names[std::string(rows->Get(i, 0))];
    EXPECT_EQ(Scalar("SELECT count(*) FROM " + schema.tables[t] +
                     " WHERE deleted_at IS NULL AND airtable_id IS NULL"),
              "0")
        << schema.tables[t] << ": live rows without an Airtable id";
  }
  int postgres_made = 0, postgres_deleted = 0;
  for (const auto& [name, is_live] : postgres.inserted()) {
    // What became of its row, for the failure message.
    auto history = [&, name = name] {
      size_t t = std::stoul(name.substr(3, 1)) - 1;
      const std::string& table_name = live->plan.tables[t].table_name;
      return Scalar(
          "SELECT string_agg(format(E'row %s (%s, deleted_at %s)\\n  outbox: %s\\n  audit: %s', "
          "r.id, r.airtable_id, r.deleted_at, (SELECT string_agg(format('%s %s %s %s %s', "
          "o.outbox_id, o.operation, o.changed_columns, o.status, o.last_error), '; ' ORDER BY "
          "o.outbox_id) FROM airpg.outbox o WHERE o.table_name = '" +
          table_name +
          "' AND o.row_id = r.id), (SELECT string_agg(format('%s %s %s airtable_id %s->%s "
          "deleted_at %s->%s', a.at::time, a.origin, a.operation, a.old_row->>'airtable_id', "
          "a.new_row->>'airtable_id', a.old_row->>'deleted_at', a.new_row->>'deleted_at'), '; ' "
          "ORDER BY a.audit_id) FROM airpg.audit_log a WHERE a.table_name = '" +
          table_name + "' AND a.row_id = r.id)), ' | ') FROM " + schema.tables[t] + " r WHERE " +
          schema.name[t] + " = '" + name + "'");
    };
    EXPECT_EQ(airtable_names[name], is_live ? 1 : 0) << name << " in Airtable: " << history();
    EXPECT_EQ(postgres_names[name], is_live ? 1 : 0) << name << " in Postgres";
    ++(is_live ? postgres_made : postgres_deleted);
  }
  std::map<std::string, std::map<std::string, json>> by_table;
  for (const auto& t : live->plan.tables) by_table[t.table_id] = AirtableRecords(t.table_id);
  for (const auto& [table_id, id] : airtable.CreatedAndLive()) {
    EXPECT_EQ(by_table[table_id].count(id), 1u) << id;
    EXPECT_EQ(Scalar("SELECT count(*) FROM " +
                     QualifiedName(live->schema, live->plan.FindTable(table_id)->table_name) +
                     " WHERE deleted_at IS NULL AND airtable_id = '" + id + "'"),
              "1")
        << id;
  }
  for (const auto& [table_id, id] : airtable.deleted()) {
    EXPECT_EQ(by_table[table_id].count(id), 0u) << id;
  }
  // No record applied twice: none deleted, brought back by a read older
  // than the delete and deleted again (sync/stale_reads.h).
  EXPECT_EQ(DoubleApplies(conn(), *live), "");
  int64_t tombstoned = 0;
  EXPECT_EQ(DeletedStayDeleted(conn(), *live, airtable.deleted(), &tombstoned), "");
  std::cout << fmt::format(
      "[ result   ] {} Postgres-made records live and {} deleted, {} Airtable-made live and {} "
      "deleted, {} outbox changes done, {} conflicts\n",
      postgres_made, postgres_deleted, airtable.CreatedAndLive().size(), airtable.deleted().size(),
      Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'done'"),
      Scalar("SELECT count(*) FROM airpg.conflicts"));

  // And the product's own check agrees: every table, record and cell of
  // the mirror is Airtable's (verify reads Airtable afresh; no sync runs).
  ProcessOutput verify = airpg_.Run({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("verify: clean"), std::string::npos) << verify.out << verify.err;
}

}  // namespace
}  // namespace airpg::testing
