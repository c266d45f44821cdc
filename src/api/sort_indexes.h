// SortIndexes: `airpg serve` indexes the columns its clients sort by, on
// demand. A list request sorted by a plain column names it here (Want, cheap
// and non-blocking); a background thread then makes sure the table has a
// b-tree index whose order is the one record_reader's keyset pages use —
// (key NULLS FIRST, id): read forwards it is `key ASC NULLS FIRST, id`,
// backwards `key DESC NULLS LAST` (an incremental sort orders the ties by
// id) — so a page is the first rows of an index scan, not a sort of the
// whole table. Built with CREATE INDEX CONCURRENTLY, so the table's writers
// are never blocked; an advisory lock per index keeps several serve
// processes from building the same one; an invalid index a crashed build
// left is dropped and built again. Only columns clients actually sort by
// pay the index's write cost (docs/serve.md has the figures). Names are
// `<table>_airpg_sort_<hash>`. A table swapped in by `airpg migrate` is
// indexed again on the first sort after `recheck`. A role that may not
// create indexes logs one warning per index and serves on without it.
// Thread-safe: Want may be called from any thread (mu_ guards the queue and
// the known set); one worker thread owns its connection.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "mapping/schema_plan.h"
#include "pg/connection.h"

namespace airpg::api {

// The index definition serving a sort by `f`: the key over the bare column
// as PlanList orders it, e.g. `"amount"` or `lower("name"::text) COLLATE
// "C"`; nullopt for fields whose sort key is not a column of the table
// (links, arrays, junctions).
std::optional<std::string> SortIndexKey(const mapping::FieldPlan& f);

// The index's name for `key` on `table_name` (≤ 63 bytes, stable).
std::string SortIndexName(const std::string& table_name, const std::string& key);

class SortIndexes {
 public:
  // `conninfo` "" disables the indexer (Want does nothing).
  SortIndexes(std::string conninfo, std::chrono::milliseconds recheck);
  ~SortIndexes();  // stops the worker; a build in progress finishes first

  // Asks for the index serving a sort by `f` on `table` in `schema`.
  void Want(const std::string& schema, const mapping::TablePlan& table,
            const mapping::FieldPlan& f);

  // Blocks until every index asked for so far has been handled (tests, bench).
  void Drain();

 private:
  struct Job {
    std::string schema, table_name, key, name;
  };
  void Loop();
  void Build(pg::Connection& conn, const Job& job);

  const std::string conninfo_;
  const std::chrono::milliseconds recheck_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;  // guarded by mu_
  // schema.index → when it was last queued; guarded by mu_.
  std::map<std::string, std::chrono::steady_clock::time_point> known_;
  bool busy_ = false;      // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::thread worker_;     // last: started after everything it uses
};

}  // namespace airpg::api
