// The canonical checksum of a record as the plan stores it, from either side:
// Airtable's cells (a listed record) or the cells rebuilt from Postgres rows.
// Fields in `skip` (cells the rejects ledger explains) are left out on both
// sides; link fields are left out unless `with_links` (the post-load check
// runs before links are resolved against every table; `airpg verify` includes
// them).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "airtable/record.h"
#include "base/result.h"
#include "mapping/row_cells.h"
#include "mapping/schema_plan.h"

namespace airpg::migrate {

// Links are skipped when a check leaves them out (mapping/row_cells.h).
using mapping::IsLinkField;

// `cell(field_id)`: the cell's REST JSON, nullopt when empty.
using CellLookup = std::function<std::optional<std::string_view>(const mapping::FieldPlan&)>;

// The canonical cells RecordChecksum hashes, in the table's field order
// (verify compares them one by one to name the fields that differ).
Result<std::vector<std::pair<const mapping::FieldPlan*, std::string>>> CanonicalCells(
    const mapping::TablePlan& table, const CellLookup& cell,
    const std::set<std::string, std::less<>>& skip, bool with_links);

Result<std::string> RecordChecksum(
    const mapping::TablePlan& table,
    const std::function<std::optional<std::string_view>(const mapping::FieldPlan&)>& cell,
    const std::set<std::string, std::less<>>& skip, bool with_links);

// For a record listed with returnFieldsByFieldId.
Result<std::string> AirtableRecordChecksum(const mapping::TablePlan& table,
                                           const airtable::Record& record,
                                           const std::set<std::string, std::less<>>& skip,
                                           bool with_links);

}  // namespace airpg::migrate
