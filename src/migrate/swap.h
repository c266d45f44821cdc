// Swap and rollback: the only two moments the live schema changes. Each is one
// transaction: the live schema is renamed to the run's backup, the staging
// schema to the live name, attachment rows follow their schema, and the
// catalog (airpg.bases/tables/fields, runs, schema_versions) says so. Readers
// see the old schema or the new one, never a mix. The last K replaced schemas
// are kept (airpg_backup_<run>); each run row says whose schema its backup
// holds (replaced_run_id) and under which name it was live (replaced_schema).
// The base's authority matrix (airpg.sync_authority) survives both, and the
// swapped-in tables carry the write guard and capture from the swap on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "mapping/schema_plan.h"
#include "pg/connection.h"

namespace airpg::migrate {

inline constexpr int kDefaultKeepBackups = 3;

struct SwapRequest {
  int64_t run_id = 0;
  std::string base_id;
  std::string base_name;
  std::string staging_schema;
  std::string target_schema;
  std::string plan_json;
  std::string ddl_script;  // recorded in airpg.schema_versions
  // How many replaced schemas of the base to keep (migrate.keep_backups),
  // this swap's included; older ones are dropped. At least 1.
  int keep_backups = kDefaultKeepBackups;
  // Tables a partial run copied from the live schema (table ids). Their data
  // is as old as their last read, so the sync's poll of each goes on from
  // where it stood (or from the start of the run that last read them), not
  // from this run's start.
  std::vector<std::string> kept_tables;
  // The run's plan: its tables and owned junctions get two-way sync's write
  // guard and outbox capture in the swap's transaction, so a Postgres write
  // right after the swap is refused or queued per the stored authority, not
  // only from the next sync start; a base's first migration included (its
  // authority is then airtable: Postgres writes are refused). Null: none are
  // installed (the sync does).
  const mapping::SchemaPlan* plan = nullptr;
  // The base's permission level Airtable reported (GET /v0/meta/bases),
  // stored in airpg.bases for serve's Meta API answer; "" when unknown.
  std::string permission_level;
};

// Returns the backup schema ("" when there was no live schema before). The
// base's live schema is moved aside even when `target_schema` is another
// name (`migrate --schema NEW` moves the mirror), so a rollback can put it
// back under its old name.
Result<std::string> SwapIn(pg::Connection& conn, const SwapRequest& request);

struct RollbackResult {
  int64_t rolled_back_run = 0;
  int64_t active_run = 0;  // the run whose schema is live again
  std::string schema;
};

// Puts back the schema the live one replaced (one step), or with `to_run`
// the schema of that run, under the name it was live under; drops the
// rolled-back schema and the backups of the runs undone on the way.
// kFailedPrecondition when there is nothing to roll back to; kInvalidArgument
// when `to_run` is live already or no backup holds its schema.
Result<RollbackResult> Rollback(pg::Connection& conn, std::string_view base_id,
                                std::optional<int64_t> to_run = std::nullopt);

}  // namespace airpg::migrate
