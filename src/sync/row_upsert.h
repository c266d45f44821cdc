// Upserts the rows of one live table from converted records: new records are
// inserted, changed ones updated (and un-tombstoned when Airtable brought a
// record back), unchanged ones left alone so the audit log and airpg_version
// only move when a value did. Rows go through COPY into a temporary table and
// one INSERT … ON CONFLICT (airtable_id), so a batch costs a few statements
// whatever its size. Single-thread (one transaction).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "mapping/record_row.h"
#include "mapping/schema_plan.h"
#include "pg/transaction.h"

namespace airpg::sync {

// REQUIRES: at most one row per record id. Returns the rows inserted or changed.
Result<int64_t> UpsertRows(pg::Transaction& tx, std::string_view schema,
                           const mapping::TablePlan& table,
                           const std::vector<mapping::RecordRow>& rows);

}  // namespace airpg::sync
