// FormulaCells: the bridge between the emulator's stored cells (nlohmann
// JSON, REST "V1" form) and src/formula's values, both ways: a record as a
// formula sees it (computed cells included, as a read shows them), and a
// formula's result as the cell Airtable returns (API.md §5.3: numbers,
// strings, `true`, arrays, {"error": …}, {"specialValue": …}). Used by
// filterByFormula and by recompute. Pure; thread-compatible.
#pragma once

#include "emulator/model.h"
#include "formula/json_value.h"
#include "formula/record.h"
#include "formula/types.h"
#include "formula/value.h"

namespace airpg::emulator {

// nlohmann's value → the formula layer's JSON model.
formula::JsonValue ToJsonValue(const Json& j);

// The table's fields as formulas see them (result types for computed fields).
formula::Schema SchemaOf(const Table& table);

// `record` as a formula reads it: every cell as a read renders it; a cell the
// formula layer cannot read is an error value, as in Airtable.
formula::Record FormulaRecord(const Base& base, const Table& table, const formula::Schema& schema,
                              const Record& record);

// A formula or rollup result as the stored cell for a field whose result type
// is `result_type` ("date" keeps the date only); null for blank.
Json CellFromValue(const formula::Value& value, const std::string& result_type);

}  // namespace airpg::emulator
