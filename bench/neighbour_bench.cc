// A good neighbour on Airtable's rate limit (issue 14): the real airpg and
// airtable-emulator binaries, the emulator with Airtable's real limits (5
// requests/s per base for all clients together, 30 s penalty), a small base
// migrated with `airpg migrate`, then `airpg sync --loopback-pings` with its
// budget sized for the app (airtable.per_base_limit 3: Airtable's 5 minus
// the app's bursts of 2; --budget 4 runs airpg's default, which leaves room
// for one request a second). Two phases, in one run:
//   (alone)      a change every 2 s made through the emulator's UI route (no
//                token, never counted against the base): the sync by itself.
//                This is the baseline.
//   (neighbour)  an app with its own token on the same base, at 1 request/s
//                in bursts of 2 every 2 s: it changes a record (PATCH, which
//                sends the sync a webhook ping) and reads it back (GET).
// For each phase: the app's requests and 429s (target 0), the sync's ping →
// commit (the daemon's own airpg.sync_events 'ping_lag') p50/p99, the sync's
// requests/s against its budget, the 429s the sync met and those it counted
// as another client's (airpg_airtable_foreign_429_total from its /metrics).
// Ratios: neighbour p99 / alone p99, requests/s / budget.
// Usage: neighbour_bench [--quick] [--budget B] [--seconds S] [--alone-seconds S]
//                        [--tables T] [--records N]
// NEIGHBOUR_BENCH_QUICK=1 is --quick (~60 s of measurement).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "bench/bench_support.h"
#include "bench/child_process.h"
#include "http/client.h"
#include "pg/connection.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace airpg;
using bench::ChildExit;
using bench::ChildProcess;
using bench::Emulator;
using bench::Failed;
using bench::OrDie;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr const char* kDatabase = "neighbour_bench";
// The app's token: the emulator shows tokens by their first 6 characters,
// so "patApp…" and the bench's "patBen…" (airpg's) are told apart.
constexpr const char* kAppToken = "patAppNeighbour00.0123456789abcdef";
constexpr auto kChangeEvery = std::chrono::seconds(2);

struct Options {
  // airpg's budget (airtable.per_base_limit), sized as docs/architecture.md
  // says: Airtable's 5 minus the app's busiest second (a burst of 2) = 3.
  // `--budget 4` runs airpg's default, which leaves room for 1 request/s.
  int budget = 3;
  int seconds = 240;       // the neighbour phase
  int alone_seconds = 60;  // the baseline phase
  int tables = 3;
  int records = 100;  // per table
};

void Say(const std::string& line) { std::cerr << "neighbour_bench: " << line << std::endl; }
void Print(const std::string& line) { std::cout << "neighbour_bench: " << line << std::endl; }

double Ms(SteadyClock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Percentiles {
  size_t n = 0;
  double p50 = 0, p99 = 0, max = 0;
};

// Nearest rank.
Percentiles Summarise(std::vector<double> values) {
  Percentiles p;
  p.n = values.size();
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  auto rank = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::clamp<size_t>(i, 1, values.size()) - 1];
  };
  p.p50 = rank(0.50);
  p.p99 = rank(0.99);
  p.max = values.back();
  return p;
}

// The counters one phase is measured by, read at its start and its end.
struct Sample {
  SteadyClock::time_point at;
  int64_t event_id = 0;       // the last airpg.sync_events row
  int64_t sync_requests = 0;  // the emulator's count for airpg's token
  int64_t sync_limited = 0;   // … of them answered 429
  double foreign = 0;         // airpg_airtable_foreign_429_total
  int64_t base_limited = 0;   // 429s for the base, all clients
  int64_t app_requests = 0;   // the emulator\'s count for the app\'s token
};

struct Phase {
  std::string name;
  double seconds = 0;
  Percentiles lag;
  int64_t changes = 0;
  double sync_rate = 0;
  int64_t sync_limited = 0, base_limited = 0;
  double foreign = 0;
  int64_t app_requests = 0, app_limited = 0, app_failed = 0;
};

class NeighbourBench {
 public:
  NeighbourBench(fs::path dir, Options options)
      : h_("neighbour_bench", std::move(dir)), o_(options), nonce_(std::random_device{}()) {}

  ~NeighbourBench() {
    daemon_.reset();
    emu_.process.reset();
    watch_.reset();
    h_.StopPostgres();
  }

  void Setup() {
    OrDie(h_.StartPostgres(), "postgres");
    fs::path data = OrDie(h_.Generate(o_.tables, o_.records), "generate");
    emu_ = OrDie(h_.StartEmulator(data, /*rate_limits=*/true), "emulator");
    OrDie(h_.admin().Run(fmt::format("CREATE DATABASE {}", kDatabase)), "create database");
    bench::SpawnOptions options = h_.AirpgOptions(emu_, kDatabase, /*paced=*/true, "migrate");
    Say(fmt::format("airpg migrate --base {} ({} tables × {} records)", emu_.base_id, o_.tables,
                    o_.records));
    auto child =
        OrDie(ChildProcess::Spawn(
                  {AIRPG_BINARY, "migrate", "--base", emu_.base_id, "--output", "json"}, options),
              "airpg migrate");
    ChildExit done = OrDie(child->Wait(), "airpg migrate");
    OrDie(bench::MigrateSummary(done, options), "airpg migrate");
    watch_.emplace(OrDie(pg::Connection::Open(h_.cluster().Url(kDatabase)), "connect"));
    pg::Rows rows = OrDie(
        watch_->Exec("SELECT t.table_id, f.airtable_name FROM airpg.tables t JOIN airpg.fields f "
                     "ON f.table_id = t.table_id AND f.airtable_name = 'Notes' WHERE t.base_id = "
                     "$1 ORDER BY t.airtable_name",
                     {emu_.base_id}),
        "catalog");
    if (rows.empty()) throw Failed{"no table with a Notes field"};
    table_id_ = rows.Get(0, 0);
    field_ = rows.Get(0, 1);
    json page = OrDie(h_.Get(fmt::format("{}/__emulator/ui/{}/{}?pageSize=20", emu_.url,
                                         emu_.base_id, table_id_)),
                      "records");
    for (const json& r : page["records"]) records_.push_back(r["id"]);
    if (records_.empty()) throw Failed{"the table has no records"};
    Say(fmt::format("  migrated in {:.1f} s", done.seconds));
  }

  void StartDaemon() {
    bench::SpawnOptions options = h_.AirpgOptions(emu_, kDatabase, /*paced=*/true, "sync");
    options.env["AIRPG_AIRTABLE_PER_BASE_LIMIT"] = std::to_string(o_.budget);
    Say(fmt::format("airpg sync --base {} --loopback-pings --port 0 (a budget of {}/s)",
                    emu_.base_id, o_.budget));
    daemon_ = OrDie(ChildProcess::Spawn({AIRPG_BINARY, "sync", "--base", emu_.base_id,
                                         "--loopback-pings", "--port", "0"},
                                        options),
                    "airpg sync");
    daemon_err_ = options.stderr_path;
    std::string line =
        OrDie(bench::WaitForLine(daemon_err_,
                                 "airpg sync: listening on 127.0.0.1:", std::chrono::seconds(60)),
              "airpg sync endpoints");
    port_ = std::atoi(line.c_str());
    // Settled: its webhook exists and every table was polled and swept once.
    WaitUntil(
        [&] {
          pg::Rows r = OrDie(
              watch_->Exec("SELECT (SELECT count(*) FROM airpg.sync_bases WHERE base_id = $1 AND "
                           "webhook_id IS NOT NULL), (SELECT count(*) FROM airpg.sync_tables "
                           "WHERE base_id = $1 AND last_poll_at IS NOT NULL AND last_sweep_at IS "
                           "NOT NULL)",
                           {emu_.base_id}),
              "daemon state");
          return r.Get(0, 0) == "1" && std::atoi(std::string(r.Get(0, 1)).c_str()) == o_.tables;
        },
        std::chrono::seconds(120), "the daemon's webhook and first polls and sweeps");
    Say(fmt::format("  settled; endpoints on port {}", port_));
  }

  void StopDaemon() {
    ::kill(daemon_->pid(), SIGTERM);
    ChildExit done = OrDie(daemon_->Wait(), "airpg sync");
    if (!done.ok())
      throw Failed{"airpg sync did not exit cleanly: " + bench::ReadText(daemon_err_)};
  }

  // The sync by itself: a change every 2 s through the UI route.
  Phase Alone() {
    Say(fmt::format("alone: {} s, a change every 2 s (UI route, not counted for the base)",
                    o_.alone_seconds));
    Sample before = Take();
    int64_t changes = 0;
    auto until = SteadyClock::now() + std::chrono::seconds(o_.alone_seconds);
    for (auto next = SteadyClock::now(); next < until; next += kChangeEvery) {
      std::this_thread::sleep_until(next);
      const std::string& record = records_[changes % records_.size()];
      OrDie(h_.Send(
                "PATCH",
                fmt::format("{}/__emulator/ui/{}/{}/{}", emu_.url, emu_.base_id, table_id_, record),
                {{"fields", {{field_, fmt::format("alone {} {:x}", changes, nonce_)}}}}),
            "UI change");
      ++changes;
    }
    Settle();
    return Measure("alone", before, Take(), changes);
  }

  // The app beside the sync: every 2 s, PATCH a record and GET it back.
  Phase WithNeighbour() {
    Say(fmt::format("neighbour: {} s, an app at 1 request/s in bursts of 2 (PATCH + GET)",
                    o_.seconds));
    Sample before = Take();
    http::Client app;
    const std::vector<std::pair<std::string, std::string>> headers = {
        {"Authorization", std::string("Bearer ") + kAppToken},
        {"Content-Type", "application/json"}};
    Phase phase;
    int64_t changes = 0;
    auto until = SteadyClock::now() + std::chrono::seconds(o_.seconds);
    auto send = [&](std::string_view method, const std::string& url, const std::string& body) {
      ++phase.app_requests;
      Result<http::Response> r = app.Send(method, url, headers, body);
      if (!r.ok()) {
        ++phase.app_failed;
      } else if (r->status == 429) {
        ++phase.app_limited;
      } else if (r->status != 200) {
        ++phase.app_failed;
      }
      return r.ok() && r->status == 200;
    };
    // The requests of each client in time, read from the emulator every
    // 50 ms: the busiest second of the sync, and what led to the first 429.
    std::atomic<bool> sampling{true};
    std::vector<Tick> ticks;
    std::thread sampler([&] {
      while (sampling.load()) {
        ticks.push_back(Tick{SteadyClock::now(), Take(/*metrics=*/false)});
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    for (auto next = SteadyClock::now(); next < until; next += kChangeEvery) {
      std::this_thread::sleep_until(next);
      const std::string& record = records_[changes % records_.size()];
      std::string url = fmt::format("{}/v0/{}/{}/{}", emu_.url, emu_.base_id, table_id_, record);
      json body = {{"fields", {{field_, fmt::format("app {} {:x}", changes, nonce_)}}}};
      if (send("PATCH", url, body.dump())) ++changes;
      send("GET", url, "");
      if ((changes + 1) % 30 == 0) {
        Say(fmt::format("  {} app changes, {} app 429s so far", changes, phase.app_limited));
      }
    }
    sampling = false;
    sampler.join();
    Timeline(ticks);
    Settle();
    Phase measured = Measure("neighbour", before, Take(), changes);
    measured.app_requests = phase.app_requests;
    measured.app_limited = phase.app_limited;
    measured.app_failed = phase.app_failed;
    return measured;
  }

  void Report(const Phase& alone, const Phase& neighbour) {
    for (const Phase* p : {&alone, &neighbour}) {
      Print(fmt::format(
          "({}) {:.0f} s, {} changes: sync ping -> commit p50 {:.0f} ms, p99 {:.0f} ms, max {:.0f} "
          "ms (n={}); sync {:.2f} requests/s = {:.2f} of its {:.0f}/s budget; 429s to the sync {} "
          "(counted as another client's: {:.0f}), to the base {}",
          p->name, p->seconds, p->changes, p->lag.p50, p->lag.p99, p->lag.max, p->lag.n,
          p->sync_rate, p->sync_rate / static_cast<double>(o_.budget),
          static_cast<double>(o_.budget), p->sync_limited, p->foreign, p->base_limited));
    }
    Print(fmt::format(
        "(neighbour) the app: {} requests ({:.2f}/s, bursts of 2), 429s {} (target 0), other "
        "failures {}",
        neighbour.app_requests, neighbour.app_requests / std::max(1.0, neighbour.seconds),
        neighbour.app_limited, neighbour.app_failed));
    Print(fmt::format(
        "ratio: sync ping -> commit p99 with the neighbour / alone = {:.2f} (baseline: alone, "
        "same run); sync requests/s / budget = {:.2f} (target <= 1)",
        alone.lag.p99 > 0 ? neighbour.lag.p99 / alone.lag.p99 : 0.0,
        neighbour.sync_rate / static_cast<double>(o_.budget)));
  }

 private:
  struct Tick {
    SteadyClock::time_point at;
    Sample sample;
  };

  // The sync's most requests in any 1 s (at the sampling's 50 ms grain), and
  // the second before the first 429 of the phase, if there was one.
  void Timeline(const std::vector<Tick>& ticks) {
    int64_t busiest = 0;
    for (size_t i = 0, j = 0; i < ticks.size(); ++i) {
      while (ticks[i].at - ticks[j].at > std::chrono::milliseconds(1000)) ++j;
      busiest = std::max(busiest, ticks[i].sample.sync_requests - ticks[j].sample.sync_requests);
    }
    Print(
        fmt::format("(neighbour) the sync's busiest second: {} requests (sampled every 50 ms; "
                    "its budget {:.0f})",
                    busiest, static_cast<double>(o_.budget)));
    for (size_t i = 1; i < ticks.size(); ++i) {
      if (ticks[i].sample.base_limited == ticks[0].sample.base_limited) continue;
      Print(
          "(neighbour) the first 429 of the phase, and the 1.5 s before it (ms, sync requests, "
          "app requests, 429s to the base):");
      for (size_t k = 0; k <= i; ++k) {
        if (ticks[i].at - ticks[k].at > std::chrono::milliseconds(1500)) continue;
        Print(fmt::format("  {:6.0f} {:4} {:4} {:4}", -Ms(ticks[i].at - ticks[k].at),
                          ticks[k].sample.sync_requests, ticks[k].sample.app_requests,
                          ticks[k].sample.base_limited));
      }
      break;
    }
  }

  Sample Take(bool metrics = true) {
    Sample s;
    s.at = SteadyClock::now();
    pg::Rows r =
        OrDie(watch_->Exec("SELECT coalesce(max(event_id), 0) FROM airpg.sync_events"), "events");
    s.event_id = std::stoll(std::string(r.Get(0, 0)));
    json stats = OrDie(h_.Get(emu_.url + "/__emulator/stats"), "stats");
    std::string sync_key = std::string(bench::kBenchToken).substr(0, 6) + "…";
    if (stats["tokens"].contains(sync_key)) {
      s.sync_requests = stats["tokens"][sync_key]["requests"];
      s.sync_limited = stats["tokens"][sync_key]["rateLimited"];
    }
    std::string app_key = std::string(kAppToken).substr(0, 6) + "…";
    if (stats["tokens"].contains(app_key)) s.app_requests = stats["tokens"][app_key]["requests"];
    if (stats["bases"].contains(emu_.base_id)) {
      s.base_limited = stats["bases"][emu_.base_id]["rateLimited"];
    }
    if (metrics) s.foreign = ForeignFromMetrics();
    return s;
  }

  double ForeignFromMetrics() {
    http::Client client;
    Result<http::Response> r =
        client.Send("GET", fmt::format("http://127.0.0.1:{}/metrics", port_));
    if (!r.ok() || r->status != 200) throw Failed{"GET /metrics failed"};
    std::string name =
        fmt::format("airpg_airtable_foreign_429_total{{base=\"{}\"}} ", emu_.base_id);
    size_t at = r->body.find(name);
    if (at == std::string::npos) throw Failed{"no " + name + "in /metrics"};
    return std::atof(r->body.c_str() + at + name.size());
  }

  // Until every ping of the phase has been handled (nothing waiting), or 90 s
  // (a 30 s penalty with its retries).
  void Settle() {
    auto until = SteadyClock::now() + std::chrono::seconds(90);
    while (SteadyClock::now() < until) {
      http::Client client;
      Result<http::Response> r =
          client.Send("GET", fmt::format("http://127.0.0.1:{}/metrics", port_));
      std::string name = fmt::format("airpg_sync_pings_waiting{{base=\"{}\"}} ", emu_.base_id);
      if (r.ok() && r->status == 200) {
        size_t at = r->body.find(name);
        if (at == std::string::npos || std::atof(r->body.c_str() + at + name.size()) <= 0) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  Phase Measure(const std::string& name, const Sample& before, const Sample& after,
                int64_t changes) {
    Phase p;
    p.name = name;
    p.seconds = Ms(after.at - before.at) / 1000;
    p.changes = changes;
    pg::Rows lags =
        OrDie(watch_->Exec(
                  "SELECT lag_ms FROM airpg.sync_events WHERE base_id = $1 AND kind = "
                  "'ping_lag' AND event_id > $2 AND event_id <= $3",
                  {emu_.base_id, std::to_string(before.event_id), std::to_string(after.event_id)}),
              "ping_lag events");
    std::vector<double> values;
    for (int i = 0; i < lags.size(); ++i) values.push_back(std::stod(std::string(lags.Get(i, 0))));
    p.lag = Summarise(values);
    p.sync_rate = (after.sync_requests - before.sync_requests) / std::max(1.0, p.seconds);
    p.sync_limited = after.sync_limited - before.sync_limited;
    p.base_limited = after.base_limited - before.base_limited;
    p.foreign = after.foreign - before.foreign;
    return p;
  }

  template <typename F>
  void WaitUntil(F done, std::chrono::milliseconds timeout, std::string_view what) {
    auto until = SteadyClock::now() + timeout;
    while (!done()) {
      if (SteadyClock::now() > until) {
        throw Failed{fmt::format("no {} within {} s; airpg sync said: {}", what,
                                 timeout.count() / 1000, bench::ReadText(daemon_err_))};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  bench::Harness h_;
  Options o_;
  uint64_t nonce_;
  Emulator emu_;
  std::optional<pg::Connection> watch_;
  std::string table_id_, field_;
  std::vector<std::string> records_;
  std::unique_ptr<ChildProcess> daemon_;
  std::string daemon_err_;
  int port_ = 0;
};

Options ParseArgs(int argc, char** argv) {
  Options o;
  auto quick = [&] {
    o.seconds = 40;
    o.alone_seconds = 20;
  };
  if (const char* q = std::getenv("NEIGHBOUR_BENCH_QUICK"); q != nullptr && *q && *q != '0') {
    quick();
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) {
        std::cerr << "neighbour_bench: " << arg << " needs a value\n";
        std::exit(2);
      }
      return std::atoi(argv[++i]);
    };
    if (arg == "--quick") {
      quick();
    } else if (arg == "--budget") {
      o.budget = value();
    } else if (arg == "--seconds") {
      o.seconds = value();
    } else if (arg == "--alone-seconds") {
      o.alone_seconds = value();
    } else if (arg == "--tables") {
      o.tables = value();
    } else if (arg == "--records") {
      o.records = value();
    } else {
      std::cerr
          << "usage: neighbour_bench [--quick] [--budget B] [--seconds S] [--alone-seconds S] "
             "[--tables T] [--records N]\n";
      std::exit(2);
    }
  }
  o.seconds = std::max(4, o.seconds);
  o.alone_seconds = std::max(4, o.alone_seconds);
  o.tables = std::max(1, o.tables);
  o.records = std::max(1, o.records);
  o.budget = std::max(1, o.budget);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = ParseArgs(argc, argv);
  bench::ScratchDir scratch("airpg-neighbour-bench");
  int code = 0;
  {
    NeighbourBench bench(scratch.path(), options);
    try {
      bench.Setup();
      bench.StartDaemon();
      Phase alone = bench.Alone();
      Phase neighbour = bench.WithNeighbour();
      bench.StopDaemon();
      bench.Report(alone, neighbour);
    } catch (const Failed& failed) {
      std::cerr << "neighbour_bench: " << failed.what << "\n";
      code = 1;
    }
  }
  return code;
}
