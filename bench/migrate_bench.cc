// `airpg migrate` end to end (issue 6): the real airpg and airtable-emulator
// binaries as child processes, a synthetic base from `airtable-emulator
// generate` (no attachments) and a throwaway embedded Postgres given to airpg
// as DATABASE_URL. Three figures, each with its target and its ratio to a
// baseline measured in the same run:
//   (a) wall time with Airtable's limits on (5 requests/s per base, 30 s
//       penalty) against the theoretical minimum at airpg's budget: the
//       requests the emulator counted for the base ÷ 3/s (the default
//       airtable.per_base_limit); and the 429s (target 0). Target ≤ 1.03.
//   (b) records/s with the limits off (the emulator's, and airpg's pacer
//       opened wide through airtable.per_base_limit) against a plain COPY
//       (pg::CopyWriter) of the same rows — every row of the migrated tables,
//       read back from Postgres — into tables of the same column types, on
//       the same server. Target ≥ 0.5. (Junction and choice tables are not
//       in the baseline: it is the records' rows only, the stricter ratio.)
//   (c) peak RSS (VmHWM at exit, child_process.h says why not ru_maxrss) of
//       `airpg migrate` for a 1,000,000-record base, limits off, against the
//       150 MB target; `airpg --version` is printed as the floor. The
//       emulator holds the base in its own process (not counted).
// Usage: migrate_bench [--quick] [--only abc] [--records-a N] [--records-b N]
//                      [--records-c N] [--tables T]
// MIGRATE_BENCH_QUICK=1 is --quick (small sizes, for trying the bench out).
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "bench/bench_support.h"
#include "bench/child_process.h"
#include "pg/connection.h"
#include "pg/copy_writer.h"
#include "pg/transaction.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace airpg;
using bench::ChildExit;
using bench::ChildProcess;
using bench::Counters;
using bench::Emulator;
using bench::Failed;
using bench::Mb;
using bench::OrDie;

namespace {

// requests/s: airpg's default budget per base (airtable.per_base_limit, see
// cli/config.h), two under Airtable's and the emulator's 5 so the base's other
// clients keep room for a burst of 2. Keep it equal to that default.
constexpr double kPerBaseLimit = 3;
constexpr int kPageSize = 100;  // records per list page (Airtable's maximum)

struct Options {
  std::string figures = "abc";
  int tables = 4;
  int records_a = 20000;
  int records_b = 200000;
  int records_c = 1000000;
};

void Say(const std::string& line) { std::cerr << "migrate_bench: " << line << std::endl; }

struct MigrateRun {
  ChildExit exit;
  json summary;  // airpg's --output json
  Counters before, after;
  // CPU seconds the other two processes used while airpg ran.
  double emulator_cpu = 0, postgres_cpu = 0;
};

class Bench {
 public:
  explicit Bench(fs::path dir) : h_("migrate_bench", std::move(dir)) {}

  Status Start() { return h_.StartPostgres(); }
  void Stop() { h_.StopPostgres(); }

  Result<fs::path> Generate(int tables, int records) {
    return h_.Generate(tables, records / tables);
  }
  Result<Emulator> StartEmulator(const fs::path& data, bool rate_limits) {
    return h_.StartEmulator(data, rate_limits);
  }

  // `airpg migrate --base … --output json` into a fresh database `database`.
  // `paced`: airpg's pacer keeps Airtable's limits; else it is opened wide
  // (the emulator then runs without limits too).
  Result<MigrateRun> Migrate(const Emulator& emu, const std::string& database, bool paced) {
    AIRPG_RETURN_IF_ERROR(h_.admin().Run("CREATE DATABASE " + database));
    MigrateRun run;
    AIRPG_ASSIGN_OR_RETURN(run.before, h_.Count(emu));
    pid_t postmaster = h_.Postmaster();
    double emulator_cpu = bench::ProcessCpuSeconds(emu.process->pid(), false);
    double postgres_cpu = bench::ProcessCpuSeconds(postmaster, true);
    bench::SpawnOptions options = h_.AirpgOptions(emu, database, paced, database);
    options.trace_peak_rss = true;
    Say(fmt::format("airpg migrate --base {} (database {})", emu.base_id, database));
    AIRPG_ASSIGN_OR_RETURN(auto child, ChildProcess::Spawn({AIRPG_BINARY, "migrate", "--base",
                                                            emu.base_id, "--output", "json"},
                                                           options));
    pid_t pid = child->pid();
    AIRPG_ASSIGN_OR_RETURN(run.exit, child->Wait([&](double elapsed) {
      Result<Counters> now = h_.Count(emu);
      Say(fmt::format("  {:.0f} s: {} requests to the base, {} 429s; airpg RSS {}", elapsed,
                      now.ok() ? now->base_requests - run.before.base_requests : -1,
                      now.ok() ? now->limited - run.before.limited : -1,
                      Mb(bench::ProcStatusBytes(pid, "VmRSS"))));
    }));
    AIRPG_ASSIGN_OR_RETURN(run.after, h_.Count(emu));
    run.emulator_cpu = bench::ProcessCpuSeconds(emu.process->pid(), false) - emulator_cpu;
    // airpg's backend ends just after airpg: wait until the postmaster reaped it.
    for (int i = 0; i < 100; ++i) {
      AIRPG_ASSIGN_OR_RETURN(
          pg::Rows left,
          h_.admin().Exec("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", {database}));
      if (left.Get(0, 0) == "0") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    run.postgres_cpu = bench::ProcessCpuSeconds(postmaster, true) - postgres_cpu;
    AIRPG_ASSIGN_OR_RETURN(run.summary, bench::MigrateSummary(run.exit, options));
    return run;
  }

  // Seconds to COPY every row of `tables` (the migrated tables, one row per
  // record) of schema `schema` of `database` into tables of the same column
  // types (no constraints, no identity) with pg::CopyWriter, one transaction
  // per table, as the migration loads them; rows are read into memory first.
  Result<double> CopyBaseline(const std::string& database, const std::string& schema,
                              const std::vector<std::string>& tables, int64_t* rows_copied) {
    AIRPG_ASSIGN_OR_RETURN(pg::Connection conn, pg::Connection::Open(h_.cluster().Url(database)));
    AIRPG_RETURN_IF_ERROR(conn.Run("CREATE SCHEMA bench_copy"));
    struct Table {
      std::string name;
      std::vector<std::string> columns;
      std::vector<std::vector<pg::Param>> rows;
    };
    std::vector<Table> loaded;
    for (const std::string& name : tables) {
      Table table{name, {}, {}};
      // Every column the migration wrote: not the identity key Postgres generates.
      AIRPG_ASSIGN_OR_RETURN(
          pg::Rows columns,
          conn.Exec("SELECT quote_ident(column_name) FROM information_schema.columns "
                    "WHERE table_schema = $1 AND table_name = $2 AND is_identity = 'NO' "
                    "AND is_generated = 'NEVER' ORDER BY ordinal_position",
                    {schema, table.name}));
      std::string list;
      for (int c = 0; c < columns.size(); ++c) {
        table.columns.emplace_back(columns.Get(c, 0));
        list += (c > 0 ? ", " : "") + table.columns.back();
      }
      std::string from = "\"" + schema + "\".\"" + table.name + "\"";
      AIRPG_RETURN_IF_ERROR(
          conn.Run(fmt::format("CREATE TABLE bench_copy.\"{}\" AS SELECT {} FROM {} WITH NO DATA",
                               table.name, list, from)));
      AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                             conn.Exec(fmt::format("SELECT {} FROM {}", list, from)));
      for (int r = 0; r < rows.size(); ++r) {
        std::vector<pg::Param> row;
        for (int c = 0; c < rows.columns(); ++c) row.push_back(rows.Optional(r, c));
        table.rows.push_back(std::move(row));
      }
      // CopyWriter quotes identifiers itself: give it the bare names.
      for (auto& c : table.columns) {
        if (c.size() >= 2 && c.front() == '"') c = c.substr(1, c.size() - 2);
      }
      *rows_copied += rows.size();
      loaded.push_back(std::move(table));
    }
    auto started = std::chrono::steady_clock::now();
    for (const Table& table : loaded) {
      AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
      AIRPG_ASSIGN_OR_RETURN(pg::CopyWriter writer,
                             pg::CopyWriter::Start(conn, "bench_copy", table.name, table.columns));
      for (const auto& row : table.rows) AIRPG_RETURN_IF_ERROR(writer.WriteRow(row));
      AIRPG_RETURN_IF_ERROR(writer.Finish().status());
      AIRPG_RETURN_IF_ERROR(tx.Commit());
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }

  // Peak RSS of `airpg --version`: the binary's floor (libraries, allocator).
  Result<int64_t> VersionRss() {
    bench::SpawnOptions options;
    options.trace_peak_rss = true;
    AIRPG_ASSIGN_OR_RETURN(auto child, ChildProcess::Spawn({AIRPG_BINARY, "--version"}, options));
    AIRPG_ASSIGN_OR_RETURN(ChildExit done, child->Wait());
    return done.peak_rss_bytes;
  }

 private:
  bench::Harness h_;
};

int64_t Records(const json& summary) {
  int64_t n = 0;
  for (const json& t : summary["tables"]) n += t["read"].get<int64_t>();
  return n;
}

// How long the migration spent loading tables (airpg's own per-table clock).
double LoadSeconds(const json& summary) {
  double s = 0;
  for (const json& t : summary["tables"]) s += t["seconds"].get<double>();
  return s;
}

// Where the machine's cores went while airpg ran (wall time × cores bounds it).
void PrintCpu(std::string_view figure, const MigrateRun& run) {
  std::cout << fmt::format(
      "migrate_bench: ({}) CPU while airpg ran: airpg {:.2f} s, Postgres {:.2f} s, emulator "
      "{:.2f} s; wall {:.2f} s on {} cores\n",
      figure, run.exit.cpu_seconds, run.postgres_cpu, run.emulator_cpu, run.exit.seconds,
      std::thread::hardware_concurrency());
}

void FigureA(Bench& bench, const Options& o) {
  fs::path data = OrDie(bench.Generate(o.tables, o.records_a), "generate");
  Emulator emu = OrDie(bench.StartEmulator(data, /*rate_limits=*/true), "emulator");
  MigrateRun run = OrDie(bench.Migrate(emu, "fig_a", /*paced=*/true), "migrate");
  emu.process->Stop();
  int64_t base_requests = run.after.base_requests - run.before.base_requests;
  int64_t other = (run.after.requests - run.before.requests) - base_requests;
  int64_t limited = run.after.limited - run.before.limited;
  int64_t per_table = o.records_a / o.tables;
  int64_t pages = o.tables * ((per_table + kPageSize - 1) / kPageSize + (per_table == 0 ? 1 : 0));
  double minimum = base_requests / kPerBaseLimit;
  std::cout << fmt::format(
      "migrate_bench: (a) airpg migrate, {} records ({} tables), emulator limits ON: {:.2f} s "
      "(airpg's own clock {:.2f} s)\n",
      Records(run.summary), o.tables, run.exit.seconds, run.summary["seconds"].get<double>());
  std::cout << fmt::format(
      "migrate_bench: (a) requests to the base {} (list pages expected {}, other {}); "
      "token-only requests {}; 429s {} (target 0)\n",
      base_requests, pages, base_requests - pages, other, limited);
  std::cout << fmt::format(
      "migrate_bench: (a) baseline: theoretical minimum {} requests / the budget of {:.0f} per s "
      "= {:.2f} s\n",
      base_requests, kPerBaseLimit, minimum);
  std::cout << fmt::format("migrate_bench: (a) ratio wall / minimum = {:.3f} (target <= 1.03)\n",
                           run.exit.seconds / minimum);
  PrintCpu("a", run);
}

void FigureB(Bench& bench, const Options& o) {
  fs::path data = OrDie(bench.Generate(o.tables, o.records_b), "generate");
  Emulator emu = OrDie(bench.StartEmulator(data, /*rate_limits=*/false), "emulator");
  MigrateRun run = OrDie(bench.Migrate(emu, "fig_b", /*paced=*/false), "migrate");
  emu.process->Stop();
  int64_t records = Records(run.summary);
  double rate = records / run.exit.seconds;
  Say("COPY baseline: the migrated tables' rows, read back and copied with pg::CopyWriter");
  std::vector<std::string> tables;
  for (const json& t : run.summary["tables"]) tables.push_back(t["table"]);
  int64_t rows = 0;
  double copy_seconds =
      OrDie(bench.CopyBaseline("fig_b", run.summary["schema"].get<std::string>(), tables, &rows),
            "copy baseline");
  double copy_rate = rows / copy_seconds;
  std::cout << fmt::format(
      "migrate_bench: (b) airpg migrate, {} records ({} tables), limits off: {:.2f} s = {:.0f} "
      "records/s (loading tables {:.2f} s of it by airpg's own clock)\n",
      records, o.tables, run.exit.seconds, rate, LoadSeconds(run.summary));
  std::cout << fmt::format(
      "migrate_bench: (b) baseline: COPY of the same rows ({} rows of the {} migrated tables, "
      "all their columns but the identity key): {:.2f} s = {:.0f} rows/s\n",
      rows, tables.size(), copy_seconds, rows / copy_seconds);
  std::cout << fmt::format("migrate_bench: (b) ratio migrate / COPY = {:.3f} (target >= 0.5)\n",
                           rate / copy_rate);
  PrintCpu("b", run);
}

void FigureC(Bench& bench, const Options& o) {
  fs::path data = OrDie(bench.Generate(o.tables, o.records_c), "generate");
  Emulator emu = OrDie(bench.StartEmulator(data, /*rate_limits=*/false), "emulator");
  MigrateRun run = OrDie(bench.Migrate(emu, "fig_c", /*paced=*/false), "migrate");
  emu.process->Stop();
  int64_t floor = OrDie(bench.VersionRss(), "airpg --version");
  constexpr double kTarget = 150e6;
  int64_t rss = run.exit.peak_rss_bytes;
  std::cout << fmt::format(
      "migrate_bench: (c) airpg migrate, {} records ({} tables), limits off: peak RSS {} "
      "(VmHWM at exit; wall {:.1f} s)\n",
      Records(run.summary), o.tables, Mb(rss), run.exit.seconds);
  std::cout << fmt::format(
      "migrate_bench: (c) baseline: target {}; airpg --version peak RSS {} (ratio {:.1f}x)\n",
      Mb(static_cast<int64_t>(kTarget)), Mb(floor), static_cast<double>(rss) / floor);
  std::cout << fmt::format("migrate_bench: (c) ratio peak RSS / target = {:.3f} (target <= 1)\n",
                           rss / kTarget);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  auto quick = [&] {
    o.records_a = 2000;
    o.records_b = 20000;
    o.records_c = 100000;
  };
  if (const char* q = std::getenv("MIGRATE_BENCH_QUICK"); q != nullptr && *q && *q != '0') quick();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> int {
      if (i + 1 >= argc) {
        std::cerr << "migrate_bench: " << arg << " needs a value\n";
        std::exit(2);
      }
      return std::atoi(argv[++i]);
    };
    if (arg == "--quick") {
      quick();
    } else if (arg == "--only" && i + 1 < argc) {
      o.figures = argv[++i];
    } else if (arg == "--records-a") {
      o.records_a = value();
    } else if (arg == "--records-b") {
      o.records_b = value();
    } else if (arg == "--records-c") {
      o.records_c = value();
    } else if (arg == "--tables") {
      o.tables = value();
    } else {
      std::cerr << "usage: migrate_bench [--quick] [--only abc] [--records-a N] [--records-b N] "
                   "[--records-c N] [--tables T]\n";
      std::exit(2);
    }
  }
  if (o.tables < 1) o.tables = 1;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = ParseArgs(argc, argv);
  bench::ScratchDir scratch("airpg-migrate-bench");
  int code = 0;
  Bench bench{scratch.path()};
  try {
    OrDie(bench.Start(), "postgres");
    if (options.figures.find('a') != std::string::npos) FigureA(bench, options);
    if (options.figures.find('b') != std::string::npos) FigureB(bench, options);
    if (options.figures.find('c') != std::string::npos) FigureC(bench, options);
  } catch (const Failed& failed) {
    std::cerr << "migrate_bench: " << failed.what << "\n";
    code = 1;
  }
  bench.Stop();
  return code;
}
