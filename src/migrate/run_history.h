// RunHistory: the owner of airpg.runs as people and scripts read it — the
// list `airpg runs` prints, the backups a rollback can go back to, and
// abandoning a run nobody holds. The migrator, the swap and the CLI call
// these typed functions; none of them reads airpg.runs with its own SQL for
// these purposes. Stateless functions over a connection; single-thread.
//
// Who holds a run: the migrate that works on a base holds the base's session
// advisory lock (MigrationLockKey) for as long as its connection lives, on
// whichever machine it runs. A run still 'running' or 'loaded' whose base
// lock nobody holds was left by a process that is gone (killed, crashed, the
// machine lost): it shows as `interrupted` and the next migrate resumes it,
// or `airpg runs abandon` drops it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::migrate {

// The SQL text of the bigint key of a base's migration lock, for a query
// whose parameter or column `base_id_sql` holds the base id.
std::string MigrationLockKeySql(std::string_view base_id_sql);

struct RunRecord {
  int64_t run_id = 0;
  std::string base_id;
  std::string kind;
  // airpg.runs.status, except `interrupted` for a running or loaded run whose
  // base lock no process holds.
  std::string status;
  std::string schema;  // the live schema the run targets
  std::optional<std::string> backup_schema;
  std::string started_at;                  // ISO 8601 with offset
  std::optional<std::string> finished_at;  // ISO 8601 with offset; none while open
  std::optional<std::string> error;
  // Tables are counted once the run has loaded one; before, there is no data
  // (not zero).
  std::optional<int64_t> tables;
  std::optional<int64_t> records_read;
  std::optional<int64_t> records_imported;
  std::optional<int64_t> rejected;  // ledger rows: cells and whole records
  std::optional<int64_t> attachments;
  std::vector<std::string> refreshed_tables;  // `--tables` of a partial run; empty = all
};

// The runs of `base_id` (all bases when absent), oldest first.
Result<std::vector<RunRecord>> ListRuns(pg::Connection& conn,
                                        const std::optional<std::string>& base_id);

// One run; kInvalidArgument when there is no such run.
Result<RunRecord> GetRun(pg::Connection& conn, int64_t run_id);

struct Backup {
  std::string schema;       // airpg_backup_<run>
  int64_t replaced_by = 0;  // the run whose swap moved it aside
  int64_t run_id = 0;       // the run whose schema it holds (rollback --to this)
  std::string live_name;    // the name it was live under
};

// The base's backup schemas, newest first.
Result<std::vector<Backup>> ListBackups(pg::Connection& conn, std::string_view base_id);

struct AbandonResult {
  int64_t run_id = 0;
  std::string base_id;
  std::string dropped_schema;  // "" when the staging schema was gone already
};

// Drops the staging schema of an open run (running, loaded, interrupted) or
// of a failed one kept for inspection, and marks the run `abandoned`.
// kInvalidArgument for an unknown run or one that is not open or failed;
// kFailedPrecondition while a process holds it (a migrate of its base is
// running: stop that one first).
Result<AbandonResult> AbandonRun(pg::Connection& conn, int64_t run_id);

// The error text an abandoned run keeps.
inline constexpr const char* kAbandonedError = "abandoned with `airpg runs abandon`";

}  // namespace airpg::migrate
