// What a migration would change, for `migrate --dry-run`: per table whether
// it is created, refreshed, kept or dropped, the columns it gains or loses,
// and its live row count beside the records Airtable has now. Computed from
// the run's plan, the catalog and the dry run's reads; writes nothing.
// Single-thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "migrate/load_context.h"
#include "migrate/run_plan.h"
#include "pg/connection.h"

namespace airpg::migrate {

struct TableChange {
  std::string table_id;
  std::string table_name;
  // create: not in the live schema; refresh: read again from Airtable;
  // keep: copied as it is (a partial run); drop: live, no longer in Airtable.
  std::string action;
  std::vector<std::string> columns_added;
  std::vector<std::string> columns_removed;
  std::optional<int64_t> live_rows;         // none when there is no live table
  std::optional<int64_t> airtable_records;  // none when not read (kept, dropped)
};

// `read`: the dry run's per-table counts of the refreshed tables.
Result<std::vector<TableChange>> DescribeChanges(pg::Connection& conn, const RunPlan& run,
                                                 const std::vector<TableSummary>& read);

}  // namespace airpg::migrate
