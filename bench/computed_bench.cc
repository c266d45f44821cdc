// Reading computed fields from Postgres (issue 18): 100 records with their
// computed fields from S.<table>_computed (mapping/computed_view.h) against
// the same 100 records' stored columns, on tables of 100,000 records.
// Formulas: the chained base's Items (Line = Price * Qty, Tag = text
// functions). Lookups and rollups: its Orders (SUM over a formula of the
// linked items, count, lookup, ARRAYJOIN, MAX, formulas over them), each
// order with two items. Prints the medians and the ratio, planned per read
// and prepared (targets: ≤ 1.5× formulas, ≤ 3× lookups and rollups).
// Orders' aggregates over their items are kept in a cache table by triggers
// (mapping/computed_cache.h): it also prints what those cost a write.
// COMPUTED_BENCH_EXPLAIN=1 prints the plan of a read of the Orders view.
// Usage: computed_bench [ROWS] [READS]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "airtable/schema.h"
#include "base/sql_identifier.h"
#include "mapping/computed_view.h"
#include "mapping/ddl.h"
#include "mapping/schema_plan.h"
#include "pg/catalog.h"
#include "pg/connection.h"
#include "pg/embedded_cluster.h"

namespace fs = std::filesystem;
using namespace airpg;

namespace {

constexpr char kSchema[] = "bench";

void OrDie(const Status& s, std::string_view what) {
  if (s.ok()) return;
  std::cerr << "computed_bench: " << what << ": " << s.ToString() << "\n";
  std::exit(1);
}

template <typename T>
T OrDie(Result<T> r, std::string_view what) {
  OrDie(r.status(), what);
  return std::move(*r);
}

std::string Column(const mapping::SchemaPlan& plan, const std::string& field_id) {
  return QuoteIdentifier(plan.FindField(field_id).second->column_name);
}

// Milliseconds of reading one set of 100 ids (`ids`, an int8[] literal of
// the bench's own numbers) from `relation`, or with `prepared` through the
// statement of that name (no planning per read, as an app's prepared query).
double ReadMs(pg::Connection& conn, const std::string& relation, const std::string& ids,
              const std::string& prepared) {
  std::string sql = prepared.empty()
                        ? fmt::format("SELECT * FROM {} WHERE id = ANY($1::bigint[])", relation)
                        : fmt::format("EXECUTE {}('{}')", prepared, ids);
  auto start = std::chrono::steady_clock::now();
  pg::Rows result = OrDie(prepared.empty() ? conn.Exec(sql, {ids}) : conn.Exec(sql), relation);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (result.size() == 0) OrDie(InternalError("no rows"), relation);
  return ms;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * (v.size() - 1))];
}

double Median(std::vector<double> v) { return Percentile(std::move(v), 0.5); }

// CPU milliseconds the backend `pid` has used (/proc/<pid>/stat: utime +
// stime). On a machine shared with other work, wall-clock reads mostly
// measure waiting for a core; the server's CPU time per read does not.
double BackendCpuMs(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  // After the command name: state is field 3; utime and stime are 14 and 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The two reads alternate on the same ids, so load from elsewhere on the
// machine falls on both alike; medians, so a stall does not count.
void Report(pg::Connection& conn, const std::string& label, const std::string& table,
            const std::string& view_name, int rows, int reads, double target, bool prepared) {
  std::string stored = QualifiedName(kSchema, table);
  std::string computed = QualifiedName(kSchema, view_name);
  std::string stored_statement, computed_statement;
  if (prepared) {
    stored_statement = QuoteIdentifier("read_stored_" + table);
    computed_statement = QuoteIdentifier("read_computed_" + table);
    for (const auto& [name, relation] :
         {std::pair{stored_statement, stored}, std::pair{computed_statement, computed}}) {
      OrDie(conn.Run(fmt::format("PREPARE {}(bigint[]) AS SELECT * FROM {} WHERE id = ANY($1)",
                                 name, relation)),
            "prepare");
    }
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> pick(1, rows);
  std::vector<double> base, view;
  int pid = std::stoi(std::string(OrDie(conn.Exec("SELECT pg_backend_pid()"), "pid").Get(0, 0)));
  double base_cpu = 0, view_cpu = 0;
  constexpr int kBlock = 25;  // reads of one kind between two CPU readings
  for (int r = 0; r < reads + reads / 4; r += kBlock) {
    std::vector<std::string> sets;
    for (int k = 0; k < kBlock; ++k) {
      std::string ids = "{";
      for (int i = 0; i < 100; ++i) ids += (i ? "," : "") + std::to_string(pick(rng));
      sets.push_back(ids + "}");
    }
    bool warming = r < reads / 4;  // filling the cache
    for (bool computed_side : {false, true}) {
      double cpu = BackendCpuMs(pid);
      for (const std::string& ids : sets) {
        double ms = computed_side ? ReadMs(conn, computed, ids, computed_statement)
                                  : ReadMs(conn, stored, ids, stored_statement);
        if (!warming) (computed_side ? view : base).push_back(ms);
      }
      if (!warming) (computed_side ? view_cpu : base_cpu) += BackendCpuMs(pid) - cpu;
    }
  }
  // The 10th percentiles as well: on a machine shared with other work the
  // fast reads are the ones nothing else slowed down.
  double b = Median(base), v = Median(view);
  double b10 = Percentile(base, 0.1), v10 = Percentile(view, 0.1);
  double n = static_cast<double>(base.size());
  std::cout << fmt::format(
      "{}{}: 100 records of {}: server CPU per read: stored columns {:.3f} ms, computed view "
      "{:.3f} ms, ratio {:.2f}x (target <= {}x); wall medians {:.3f} / {:.3f} ms ({:.2f}x), 10th "
      "percentiles {:.3f} / {:.3f} ms ({:.2f}x), of {} reads\n",
      label, prepared ? " (prepared)" : "", rows, base_cpu / n, view_cpu / n, view_cpu / base_cpu,
      target, b, v, v / b, b10, v10, v10 / b10, base.size());
}

// What the link caches (mapping/computed_cache.h) cost a write: one item's
// quantity updated, by a statement of its own, with the cache triggers and
// with them disabled, alternating in blocks of 20; medians.
void ReportWrites(pg::Connection& conn, const std::string& items, const std::string& qty, int rows,
                  int writes) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> pick(1, rows);
  int pid = std::stoi(std::string(OrDie(conn.Exec("SELECT pg_backend_pid()"), "pid").Get(0, 0)));
  double cpu[2] = {0, 0};  // without, with
  std::vector<double> wall[2];
  for (int block = 0; block < writes / 20; ++block) {
    bool enabled = block % 2 == 0;
    OrDie(conn.Run(
              fmt::format("ALTER TABLE {} {} TRIGGER USER", items, enabled ? "ENABLE" : "DISABLE")),
          "triggers");
    double before = BackendCpuMs(pid);
    for (int i = 0; i < 20; ++i) {
      auto start = std::chrono::steady_clock::now();
      OrDie(
          conn.Run(fmt::format("UPDATE {} SET {} = {} + 1 WHERE id = $1::bigint", items, qty, qty),
                   {std::to_string(pick(rng))}),
          "update");
      wall[enabled].push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
    }
    cpu[enabled] += BackendCpuMs(pid) - before;
  }
  OrDie(conn.Run(fmt::format("ALTER TABLE {} ENABLE TRIGGER USER", items)), "triggers");
  double n = static_cast<double>(wall[1].size());
  std::cout << fmt::format(
      "writes: one item's update: server CPU {:.3f} ms without the cache triggers, {:.3f} ms "
      "with them ({:.2f}x); wall medians {:.3f} / {:.3f} ms, of {} updates each\n",
      cpu[0] / n, cpu[1] / n, cpu[1] / cpu[0], Median(wall[0]), Median(wall[1]), wall[1].size());
}

}  // namespace

int main(int argc, char** argv) {
  int rows = argc > 1 ? std::atoi(argv[1]) : 100000;
  int reads = argc > 2 ? std::atoi(argv[2]) : 400;
  std::ifstream in(AIRPG_COMPUTED_CHAIN);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json data = nlohmann::json::parse(text.str());
  nlohmann::json tables = data["bases"][0]["tables"];
  for (auto& t : tables) t.erase("records");
  airtable::BaseSchema schema =
      OrDie(airtable::ParseBaseSchema(nlohmann::json{{"tables", tables}}.dump()), "schema");
  mapping::SchemaPlan plan = OrDie(mapping::PlanSchema(schema, {}), "plan");

  std::string home = (fs::temp_directory_path() / "airpg-bench-XXXXXX").string();
  if (::mkdtemp(home.data()) == nullptr) return 1;
  fs::permissions(home, fs::perms::others_exec, fs::perm_options::add);
  pg::EmbeddedOptions options;
  options.home = home;
  options.durable = false;
  pg::EmbeddedCluster cluster(options);
  OrDie(cluster.Start(), "start postgres");
  {
    pg::Connection conn = OrDie(pg::Connection::Open(cluster.Url()), "connect");
    // The caches' refresh trigger (catalog_v13.sql) lives in the catalog.
    OrDie(pg::EnsureCatalog(conn), "catalog");
    OrDie(conn.Run(fmt::format("CREATE SCHEMA {}", kSchema)), "schema");
    mapping::SchemaDdl ddl = mapping::BuildSchemaDdl(plan, kSchema);
    for (const auto& s : ddl.create) OrDie(conn.Run(s), s);
    std::cerr << "computed_bench: loading " << rows << " orders, " << 2 * rows << " items\n";
    std::string orders = QualifiedName(kSchema, plan.FindTable("tblOrders00000001")->table_name);
    std::string items = QualifiedName(kSchema, plan.FindTable("tblItems000000001")->table_name);
    OrDie(conn.Run(fmt::format("INSERT INTO {} (airtable_id, {}) SELECT 'recO' || g, 'order ' || g "
                               "FROM generate_series(1, {}) AS g",
                               orders, Column(plan, "fldOrderName00001"), rows)),
          "orders");
    // Two items per order (ids 1..2N; order = (id + 1) / 2), and the
    // formula table read below is its first 100,000 rows by id.
    OrDie(conn.Run(fmt::format(
              "INSERT INTO {} (airtable_id, {}, {}, {}, {}) SELECT 'recI' || g, 'item ' || g, "
              "(g % 97) / 4.0, g % 7, (g + 1) / 2 FROM generate_series(1, {}) AS g",
              items, Column(plan, "fldItemName000001"), Column(plan, "fldItemPrice00001"),
              Column(plan, "fldItemQty0000001"), Column(plan, "fldItemOrder00001"), 2 * rows)),
          "items");
    for (const auto& s : ddl.finish) OrDie(conn.Run(s), s);
    mapping::ComputedPlan computed = mapping::PlanComputed(plan, kSchema);
    for (const auto& s : mapping::ComputedViewDdl(plan, computed, kSchema)) OrDie(conn.Run(s), s);
    OrDie(conn.Run("ANALYZE"), "analyze");
    if (std::getenv("COMPUTED_BENCH_EXPLAIN") != nullptr) {
      // The plan a prepared read runs after its first five (generic).
      std::string view = QualifiedName(kSchema, plan.FindTable("tblOrders00000001")->computed_view);
      OrDie(conn.Run("SET plan_cache_mode = force_generic_plan"), "explain");
      OrDie(conn.Run(fmt::format(
                "PREPARE explained(bigint[]) AS SELECT * FROM {} WHERE id = ANY($1)", view)),
            "explain");
      pg::Rows plan_rows =
          OrDie(conn.Exec("EXPLAIN (ANALYZE, BUFFERS) EXECUTE explained(ARRAY[1, 1001, 2001, "
                          "3001, 4001, 5001, 6001, 7001, 8001, 9001])"),
                "explain");
      for (int i = 0; i < plan_rows.size(); ++i) std::cerr << plan_rows.Get(i, 0) << "\n";
      OrDie(conn.Run("DEALLOCATE explained"), "explain");
      OrDie(conn.Run("RESET plan_cache_mode"), "explain");
    }
    ReportWrites(conn, items, Column(plan, "fldItemQty0000001"), 2 * rows, 400);
    const mapping::TablePlan& item_plan = *plan.FindTable("tblItems000000001");
    const mapping::TablePlan& order_plan = *plan.FindTable("tblOrders00000001");
    for (bool prepared : {false, true}) {
      Report(conn, "formulas", item_plan.table_name, item_plan.computed_view, 2 * rows, reads, 1.5,
             prepared);
      Report(conn, "lookups and rollups", order_plan.table_name, order_plan.computed_view, rows,
             reads, 3, prepared);
    }
    // Where the time goes: the link's aggregates alone, read from their cache
    // table ("stored") against computed live from the source view ("view").
    mapping::ComputedCache cache = mapping::NameCache(order_plan.computed_view, 1);
    Report(conn, "orders' link aggregates alone, cache table vs live", cache.name, cache.source,
           rows, reads, 1, true);
  }
  OrDie(cluster.Stop(), "stop postgres");
  fs::remove_all(home);
  return 0;
}
