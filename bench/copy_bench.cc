// Bulk load speed into the embedded Postgres: COPY through pg::CopyWriter
// against the baseline of parameterised single-row INSERTs in one
// transaction, both measured in this run on a fresh throwaway cluster.
// Prints rows/s for each and the ratio. Usage: copy_bench [ROWS]
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include <fmt/core.h>

#include "pg/connection.h"
#include "pg/copy_writer.h"
#include "pg/embedded_cluster.h"
#include "pg/transaction.h"

namespace fs = std::filesystem;
using namespace airpg;

namespace {

std::vector<pg::Param> Row(int i) {
  return {std::to_string(i), fmt::format("Lead {} — Zoë", i), fmt::format("{}.{:02}", i, i % 100),
          "2024-05-01T12:00:00Z"};
}

// A benchmark cannot go on past a failed step: print it and exit non-zero.
void OrDie(const Status& s) {
  if (s.ok()) return;
  std::cerr << "copy_bench: " << s.ToString() << "\n";
  std::exit(1);
}

template <typename F>
double RowsPerSecond(int rows, F load) {
  auto start = std::chrono::steady_clock::now();
  OrDie(load());
  return rows / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int rows = argc > 1 ? std::atoi(argv[1]) : 200000;
  std::string pattern = (fs::temp_directory_path() / "airpg-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return 1;
  fs::permissions(pattern, fs::perms::others_exec, fs::perm_options::add);
  pg::EmbeddedOptions options;
  options.home = pattern;
  options.durable = false;
  pg::EmbeddedCluster cluster(options);
  OrDie(cluster.Start());
  Result<pg::Connection> conn = pg::Connection::Open(cluster.Url());
  OrDie(conn.status());
  OrDie(conn->RunScript(
      "CREATE TABLE copy_t (id bigint, name text, amount numeric(14,2), seen timestamptz);"
      "CREATE TABLE insert_t (LIKE copy_t)"));

  double copy_rate = RowsPerSecond(rows, [&]() -> Status {
    AIRPG_ASSIGN_OR_RETURN(auto writer, pg::CopyWriter::Start(*conn, "public", "copy_t",
                                                              {"id", "name", "amount", "seen"}));
    for (int i = 0; i < rows; ++i) AIRPG_RETURN_IF_ERROR(writer.WriteRow(Row(i)));
    return writer.Finish().status();
  });
  // The baseline loads a tenth as many rows: single-row INSERTs are slow.
  int insert_rows = std::max(1, rows / 10);
  double insert_rate = RowsPerSecond(insert_rows, [&]() -> Status {
    AIRPG_ASSIGN_OR_RETURN(auto tx, pg::Transaction::Begin(*conn));
    for (int i = 0; i < insert_rows; ++i) {
      AIRPG_RETURN_IF_ERROR(tx.Run(
          "INSERT INTO insert_t VALUES ($1::bigint, $2, $3::numeric, $4::timestamptz)", Row(i)));
    }
    return tx.Commit();
  });

  std::cout << fmt::format("copy_bench: COPY {} rows: {:.0f} rows/s\n", rows, copy_rate);
  std::cout << fmt::format(
      "copy_bench: baseline single-row INSERT ({} rows, one transaction): {:.0f} rows/s\n",
      insert_rows, insert_rate);
  std::cout << fmt::format("copy_bench: ratio COPY / INSERT = {:.1f}x\n", copy_rate / insert_rate);
  cluster.Stop().IgnoreError();
  fs::remove_all(pattern);
  return 0;
}
