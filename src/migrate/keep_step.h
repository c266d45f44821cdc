// The keep step of a partial run (`migrate --tables A,B` on a migrated base):
// a table the run does not refresh is copied from the live schema into the
// staging schema as a load would have left it — its rows with their ids, its
// link and collaborator references written back into the scratch _links
// table (so the finish step resolves them against the refreshed tables), its
// attachment rows and its ledger rows. One transaction per table, recorded in
// airpg.run_tables like a loaded one, so a killed run resumes after it.
// Single-thread.
#pragma once

#include <set>
#include <string>

#include "base/result.h"
#include "mapping/schema_plan.h"
#include "migrate/load_context.h"
#include "migrate/run_plan.h"

namespace airpg::migrate {

// REQUIRES: ctx.staging_schema and ctx.run_id are set; `table` is in
// run.kept and run.live is set.
Result<TableSummary> KeepTable(LoadContext& ctx, const RunPlan& run,
                               const mapping::TablePlan& table);

}  // namespace airpg::migrate
