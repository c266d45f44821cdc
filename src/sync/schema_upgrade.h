// Upgrading a live schema made by an older airpg, when `airpg sync` starts:
// the shapes this build writes that such a schema lacks are added in place,
// so the sync's upserts work without a new migration (issue 13).
//   - airpg_cell_errors jsonb on every mirrored table (formula error cells);
//   - number, currency and percent columns (and arrays of them) of
//     numeric(p,s) widened to the plan's unconstrained numeric (ALTER COLUMN
//     TYPE keeps every value; Postgres relabels, it does not rewrite);
//   - choices tables keyed by name (old shape: `name text PRIMARY KEY` and a
//     foreign key from the single select's column) rebuilt to the surrogate
//     key and the unique md5(name) index, without the foreign key, so a
//     choice of any length fits. Choices tables are small: cheap.
// It goes the schema sync's way (schema_sync.h): one short transaction under
// the base's advisory lock and a lock_timeout, one airpg.schema_versions row
// per statement, airpg.fields.sql_type updated to what the column now is.
// A schema already current costs one catalog read and no transaction.
// Thread-compatible (one Connection per thread).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::sync {

struct SchemaUpgradeSummary {
  std::vector<std::string> applied;  // one line per change, as in airpg.schema_versions
};

// kFailedPrecondition when the base was never migrated; kUnavailable when a
// migration or a schema change of the base holds its lock; kAborted when a
// table stayed locked past `lock_timeout`. Nothing is applied then.
Result<SchemaUpgradeSummary> UpgradeLiveSchema(
    pg::Connection& conn, std::string_view base_id,
    std::chrono::milliseconds lock_timeout = std::chrono::milliseconds(5000));

}  // namespace airpg::sync
