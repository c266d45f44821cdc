// Outbox cells: a Postgres column value (as to_jsonb of the row gives it) in
// Airtable's write format (API.md §5.3) for the field the column mirrors —
// the reverse of mapping/cell_value for the column storages. Links,
// junctions and attachments are not columns and are built by the dispatcher.
// Pure and thread-safe.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "mapping/schema_plan.h"

namespace airpg::sync {

// The cell JSON for `value` (JSON null → the empty cell, "null"); nullopt
// when the field is never written back (computed, attachments, relations).
// A value that cannot be one of the field's cells is kInvalidArgument.
Result<std::optional<std::string>> CellFromColumn(const mapping::FieldPlan& field,
                                                  const nlohmann::json& value);

// Whether airpg may write the field in Airtable at all.
bool WritableField(const mapping::FieldPlan& field);

}  // namespace airpg::sync
