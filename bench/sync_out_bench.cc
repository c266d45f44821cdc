// bench/sync_out: Postgres → Airtable through `airpg sync`'s outbox (issue
// 16), end to end with the real binaries: the emulator with Airtable's rate
// limits, airpg with its default budget (airtable.per_base_limit 3/s) and
// every table writable (AIRPG_SYNC_AUTHORITY=both). Two figures:
//  (a) Postgres commit → visible in Airtable, p50/p99, at low load (one
//      change every 600 ms, below the budget). Target p99 ≤ 1 s.
//  (b) sustained write throughput: one statement updating every record of
//      the table, commit → all visible, against the ceiling budget × 10
//      records/s (10 records per request). Target ≥ 0.95, 0 × 429.
//  (c) the same for creates: one statement inserting as many rows.
// Each throughput figure is also given in steady state: from the first
// request's outcome to the last (the debounce and the first claim left out).
// Usage: sync_out_bench [--records N] [--changes N]
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/sql_identifier.h"
#include "bench/bench_support.h"
#include "bench/child_process.h"
#include "pg/connection.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace airpg;
using bench::ChildExit;
using bench::ChildProcess;
using bench::Failed;
using bench::OrDie;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr const char* kDatabase = "sync_out_bench";
constexpr int kBudget = 3;  // airpg's default airtable.per_base_limit
constexpr int kRecordsPerWrite = 10;

void Say(const std::string& line) { std::cerr << "sync_out_bench: " << line << std::endl; }
void Print(const std::string& line) { std::cout << "sync_out_bench: " << line << std::endl; }
double Ms(SteadyClock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Rank(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(i, 1, v.size()) - 1];
}

class SyncOutBench {
 public:
  SyncOutBench(fs::path dir, int records, int changes)
      : h_("sync_out_bench", std::move(dir)), records_(records), changes_(changes) {}

  ~SyncOutBench() {
    if (daemon_) ::kill(daemon_->pid(), SIGKILL);
  }

  void Setup() {
    OrDie(h_.StartPostgres(), "postgres");
    fs::path data = OrDie(h_.Generate(1, records_), "generate");
    emu_ = OrDie(h_.StartEmulator(data, /*rate_limits=*/true), "emulator");
    OrDie(h_.admin().Run(fmt::format("CREATE DATABASE {}", kDatabase)), "create database");
    bench::SpawnOptions options = h_.AirpgOptions(emu_, kDatabase, /*paced=*/true, "migrate");
    Say(fmt::format("airpg migrate --base {} (1 table × {} records)", emu_.base_id, records_));
    auto child =
        OrDie(ChildProcess::Spawn(
                  {AIRPG_BINARY, "migrate", "--base", emu_.base_id, "--output", "json"}, options),
              "airpg migrate");
    OrDie(bench::MigrateSummary(OrDie(child->Wait(), "airpg migrate"), options), "airpg migrate");
    db_.emplace(OrDie(pg::Connection::Open(h_.cluster().Url(kDatabase)), "connect"));
    pg::Rows t = OrDie(
        db_->Exec("SELECT b.schema_name, t.table_id, t.table_name, f.column_name FROM airpg.bases "
                  "b JOIN airpg.tables t USING (base_id) JOIN airpg.fields f ON f.table_id = "
                  "t.table_id AND f.airtable_name = 'Notes' WHERE b.base_id = $1",
                  {emu_.base_id}),
        "catalog");
    if (t.empty()) throw Failed{"no table with a Notes field"};
    table_ = QualifiedName(t.Get(0, 0), t.Get(0, 2));
    table_id_ = t.Get(0, 1);
    notes_ = QuoteIdentifier(t.Get(0, 3));
    pg::Rows ids = OrDie(db_->Exec("SELECT airtable_id FROM " + table_ + " ORDER BY id"), "ids");
    for (int i = 0; i < ids.size(); ++i) records_ids_.emplace_back(ids.Get(i, 0));
  }

  void StartDaemon() {
    bench::SpawnOptions options = h_.AirpgOptions(emu_, kDatabase, /*paced=*/true, "sync");
    options.env["AIRPG_SYNC_AUTHORITY"] = "both";
    // The migration's last second of requests must pass first (each airpg
    // process paces from an empty window).
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    Say(fmt::format("airpg sync --base {} (AIRPG_SYNC_AUTHORITY=both)", emu_.base_id));
    daemon_ = OrDie(ChildProcess::Spawn({AIRPG_BINARY, "sync", "--base", emu_.base_id,
                                         "--loopback-pings", "--port", "0"},
                                        options),
                    "airpg sync");
    err_ = options.stderr_path;
    OrDie(bench::WaitForLine(err_, "airpg sync: listening on", std::chrono::seconds(60)),
          "airpg sync endpoints");
    WaitUntil(
        [&] {
          pg::Rows r = OrDie(db_->Exec("SELECT count(*) FROM airpg.sync_tables WHERE "
                                       "last_sweep_at IS NOT NULL"),
                             "state");
          return r.Get(0, 0) == "1";
        },
        std::chrono::seconds(120), "the first poll and sweep");
    WaitQuiet();
  }

  // (a) One change at a time, 600 ms apart: commit → the value in Airtable.
  void Latency() {
    std::vector<double> ms;
    std::mt19937 random(std::random_device{}());
    for (int i = 0; i < changes_; ++i) {
      const std::string& record = records_ids_[random() % records_ids_.size()];
      std::string value = fmt::format("latency {} {}", i, random());
      OrDie(db_->Run("UPDATE " + table_ + " SET " + notes_ + " = $1 WHERE airtable_id = $2",
                     {value, record}),
            "update");
      auto committed = SteadyClock::now();
      WaitUntil([&] { return NotesOf(record) == value; }, std::chrono::seconds(60),
                "the change in Airtable", std::chrono::milliseconds(2));
      ms.push_back(Ms(SteadyClock::now() - committed));
      std::this_thread::sleep_until(committed + std::chrono::milliseconds(600));
    }
    double p99 = Rank(ms, 0.99);
    Print(fmt::format(
        "(a) commit → visible in Airtable, one change every 600 ms: p50 {:.0f} ms, p99 {:.0f} ms, "
        "max {:.0f} ms (n={}); target p99 ≤ 1000 ms: {}",
        Rank(ms, 0.5), p99, Rank(ms, 1.0), ms.size(), p99 <= 1000 ? "met" : "NOT met"));
  }

  // (b) Every record changed in one statement: commit → all visible.
  void Throughput() {
    const int n = static_cast<int>(records_ids_.size());
    Burst("(b)", fmt::format("{} records changed in one commit", n), n,
          "UPDATE " + table_ + " SET " + notes_ + " = $1 || ' ' || id");
  }

  // (c) As many rows inserted in one statement: commit → all created.
  void CreateThroughput() {
    // The first create makes the table's `airpg key` field (a schema read
    // and a field create): once, before the figure.
    OrDie(db_->Run("INSERT INTO " + table_ + " (" + notes_ + ") VALUES ('first create')"),
          "insert");
    WaitDrained();
    const int n = static_cast<int>(records_ids_.size());
    Burst("(c)", fmt::format("{} rows inserted in one commit", n), n,
          "INSERT INTO " + table_ + " (" + notes_ +
              ") SELECT $1 || ' ' || g FROM "
              "generate_series(1, " +
              std::to_string(n) + ") g");
  }

  void Burst(const std::string& figure, const std::string& what, int records,
             const std::string& statement) {
    WaitQuiet();
    bench::Counters before = OrDie(h_.Count(emu_), "stats");
    std::string tag = fmt::format("bulk {}", std::random_device{}());
    OrDie(db_->Run(statement, {tag}), "statement");
    auto committed = SteadyClock::now();
    const std::string committed_at(
        OrDie(db_->Exec("SELECT clock_timestamp()::text"), "clock").Get(0, 0));
    WaitDrained();
    double seconds = Ms(SteadyClock::now() - committed) / 1000;
    const std::string drained_at(
        OrDie(db_->Exec("SELECT clock_timestamp()::text"), "clock").Get(0, 0));
    bench::Counters after = OrDie(h_.Count(emu_), "stats");
    double rate = static_cast<double>(records) / seconds;
    double ceiling = kBudget * kRecordsPerWrite;
    Print(fmt::format(
        "{} {}, all sent in {:.1f} s: {:.1f} records/s against the ceiling budget {}/s × {} = "
        "{:.0f}/s: {:.2f} (target ≥ 0.95); {} requests to the base, {} × 429 (target 0)",
        figure, what, seconds, rate, kBudget, kRecordsPerWrite, ceiling, rate / ceiling,
        after.base_requests - before.base_requests, after.base_limited - before.base_limited));
    WaitQuiet();  // the echoes of the writes come in after them (lower priority)
    Profile(committed_at, drained_at, after.base_requests - before.base_requests, rate);
  }

  // Until no change is pending and every row has its Airtable id.
  void WaitDrained() {
    WaitUntil(
        [&] {
          pg::Rows left = OrDie(db_->Exec("SELECT (SELECT count(*) FROM airpg.outbox WHERE "
                                          "status = 'pending') + (SELECT count(*) FROM " +
                                          table_ + " WHERE airtable_id IS NULL)"),
                                "outbox");
          return left.Get(0, 0) == "0";
        },
        std::chrono::seconds(600), "the outbox to drain", std::chrono::milliseconds(20));
  }

  // Where a burst's time went, from the push events (one per write request,
  // after its outcomes are committed): until the first request's outcome
  // was committed (debounce, claim, first send), and from
  // one request's outcome to the next (the pacer's slot, 1020 ms ÷ budget =
  // 340 ms; a slot taken by another request of the base, or a dispatcher
  // slower than a slot, makes it longer). The base's requests that were
  // not writes took slots too: the dispatcher's read before updates (one
  // list request per 100 records claimed, sync/outbox_reread.h) and any
  // inbound read in between; the ceiling counted on their share is printed
  // beside the ratio.
  void Profile(const std::string& committed_at, const std::string& drained_at, int64_t requests,
               double rate) {
    // One push event per request (sync_events 'push', written once its
    // outcome is committed) with the request's records.
    pg::Rows done =
        OrDie(db_->Exec("SELECT 1000 * extract(epoch FROM at - $1::timestamptz), records FROM "
                        "airpg.sync_events WHERE kind = 'push' AND at >= $1::timestamptz AND at <= "
                        "$2::timestamptz ORDER BY at",
                        {committed_at, drained_at}),
              "profile");
    std::vector<double> at, gaps;
    int full = 0;
    int64_t after_first = 0;  // records whose outcome came after the first one's
    for (int i = 0; i < done.size(); ++i) {
      at.push_back(std::stod(std::string(done.Get(i, 0))));
      full += done.Get(i, 1) == std::to_string(kRecordsPerWrite);
      if (i > 0) gaps.push_back(at[i] - at[i - 1]);
      if (i > 0) after_first += std::stoll(std::string(done.Get(i, 1)));
    }
    if (gaps.empty()) return;
    // Steady state: the records sent after the first request, over the time
    // from its outcome to the last one (each gap is at least one pacer slot).
    const double steady = static_cast<double>(after_first) / ((at.back() - at.front()) / 1000);
    Print(fmt::format(
        "    steady state (first outcome → last): {:.1f} records/s against {:.0f}/s: {:.2f}",
        steady, static_cast<double>(kBudget * kRecordsPerWrite),
        steady / (kBudget * kRecordsPerWrite)));
    int slow = static_cast<int>(std::count_if(gaps.begin(), gaps.end(),
                                              [](double g) { return g > 1.5 * 1020.0 / kBudget; }));
    Print(fmt::format(
        "    profile: {} write requests ({} of 10 records); the first done {:.0f} ms "
        "after the commit; between two p50 {:.0f} ms, max {:.0f} ms ({} longer than 1.5 "
        "slots); the last at {:.0f} ms",
        at.size(), full, at.front(), Rank(gaps, 0.5), Rank(gaps, 1.0), slow, at.back()));
    const auto writes = static_cast<int64_t>(at.size());
    // The reads before write until the outbox drained, and the records they
    // skipped (outbox_reread.h), from the outbox's own events.
    pg::Rows reads = OrDie(db_->Exec("SELECT coalesce(sum(requests), 0), coalesce(sum((detail "
                                     "->> 'skipped')::int), 0), coalesce(sum((detail ->> "
                                     "'ms')::int), 0) FROM airpg.sync_events WHERE kind "
                                     "= 'outbox_read' AND at >= $1::timestamptz AND at <= "
                                     "$2::timestamptz",
                                     {committed_at, drained_at}),
                           "reads");
    const int64_t rereads = std::stoll(std::string(reads.Get(0, 0)));
    if (requests >= writes && requests > 0) {
      const double ceiling =
          kBudget * kRecordsPerWrite * static_cast<double>(writes) / static_cast<double>(requests);
      Print(fmt::format(
          "    requests until drained: {} writes, {} reads before write ({} records not read; "
          "the reads and their decisions took {} ms), {} others (inbound); the ceiling with "
          "them in the budget: {:.1f} records/s, against which {:.2f}",
          writes, rereads, reads.Get(0, 1), reads.Get(0, 2), requests - writes - rereads, ceiling,
          rate / ceiling));
    }
    // The sync's own requests for the writes' echoes, which wait for the
    // outbox (lower priority): payload pages and record reads.
    pg::Rows inbound =
        OrDie(db_->Exec("SELECT kind, count(*), sum(requests), coalesce(sum((detail ->> "
                        "'payloads')::int), 0) FROM airpg.sync_events WHERE at >= $1::timestamptz "
                        "GROUP BY kind ORDER BY kind",
                        {committed_at}),
              "events");
    std::string events;
    for (int i = 0; i < inbound.size(); ++i) {
      events +=
          fmt::format("{}{} × {} ({} requests, {} payloads)", events.empty() ? "" : "; ",
                      inbound.Get(i, 1), inbound.Get(i, 0), inbound.Get(i, 2), inbound.Get(i, 3));
    }
    Print("    inbound since the commit: " + (events.empty() ? "none" : events));
  }

  void Stop() {
    if (!daemon_) return;
    ::kill(daemon_->pid(), SIGTERM);
    ChildExit done = OrDie(daemon_->Wait(), "airpg sync");
    daemon_.reset();
    bench::Counters c = OrDie(h_.Count(emu_), "stats");
    Print(fmt::format("airpg sync exit {} after SIGTERM; 429s over the whole bench: {}",
                      done.exit_code, c.limited));
  }

 private:
  std::string NotesOf(const std::string& record) {
    json r = OrDie(
        h_.Get(fmt::format("{}/__emulator/ui/{}/{}/{}", emu_.url, emu_.base_id, table_id_, record)),
        "read");
    return r["fields"].value("Notes", "");
  }

  template <typename F>
  void WaitUntil(F done, std::chrono::milliseconds timeout, std::string_view what,
                 std::chrono::milliseconds every = std::chrono::milliseconds(50)) {
    auto until = SteadyClock::now() + timeout;
    while (!done()) {
      if (SteadyClock::now() > until) {
        throw Failed{fmt::format("no {} within {} s; airpg sync said: {}", what,
                                 timeout.count() / 1000, bench::ReadText(err_))};
      }
      std::this_thread::sleep_for(every);
    }
  }

  // Until the base had no request for a second (the sync's own reads), so a
  // figure starts with the budget free.
  void WaitQuiet() {
    int64_t last = OrDie(h_.Count(emu_), "stats").base_requests;
    auto since = SteadyClock::now();
    WaitUntil(
        [&] {
          int64_t now = OrDie(h_.Count(emu_), "stats").base_requests;
          if (now != last) {
            last = now;
            since = SteadyClock::now();
          }
          return SteadyClock::now() - since > std::chrono::milliseconds(1100);
        },
        std::chrono::seconds(120), "quiet second");
  }

  bench::Harness h_;
  int records_, changes_;
  bench::Emulator emu_;
  std::optional<pg::Connection> db_;
  std::unique_ptr<ChildProcess> daemon_;
  std::string err_, table_, table_id_, notes_;
  std::vector<std::string> records_ids_;
};

}  // namespace

int main(int argc, char** argv) {
  int records = 300, changes = 40;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--records") records = std::atoi(argv[i + 1]);
    if (flag == "--changes") changes = std::atoi(argv[i + 1]);
  }
  bench::ScratchDir dir("sync-out-bench");
  SyncOutBench bench(dir.path(), records, changes);
  try {
    bench.Setup();
    bench.StartDaemon();
    bench.Latency();
    bench.Throughput();
    bench.CreateThroughput();
    bench.Stop();
  } catch (const Failed& f) {
    std::cerr << "sync_out_bench: " << f.what << std::endl;
    return 1;
  }
  return 0;
}
