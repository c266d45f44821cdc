// Swap and rollback: the only two moments the live schema changes. Each is one
// transaction: the live schema is renamed to the run's backup, the staging
// schema to the live name, attachment rows follow their schema, and the
// catalog (airpg.bases/tables/fields, runs, schema_versions) says so. Readers
// see the old schema or the new one, never a mix.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::migrate {

struct SwapRequest {
  int64_t run_id = 0;
  std::string base_id;
  std::string base_name;
  std::string staging_schema;
  std::string target_schema;
  std::string plan_json;
  std::string ddl_script;  // recorded in airpg.schema_versions
};

// Returns the backup schema ("" when there was no live schema before). Only
// one backup per base is kept: an older one is dropped.
Result<std::string> SwapIn(pg::Connection& conn, const SwapRequest& request);

struct RollbackResult {
  int64_t rolled_back_run = 0;
  int64_t active_run = 0;  // the run whose schema is live again
  std::string schema;
};

// Puts the base's backup schema back and drops the rolled-back one.
// kFailedPrecondition when there is nothing to roll back to.
Result<RollbackResult> Rollback(pg::Connection& conn, std::string_view base_id);

}  // namespace airpg::migrate
