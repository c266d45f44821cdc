// Record: the one record a formula is evaluated over — its id, times and
// cells as formula values — and the reader from Airtable's JSON cell form
// (REST "V1" format, API.md §5.3). Thread-compatible value type.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "formula/json_value.h"
#include "formula/types.h"
#include "formula/value.h"

namespace airpg::formula {

struct Record {
  std::string record_id;                   // "rec…", for RECORD_ID()
  int64_t created_millis = 0;              // CREATED_TIME()
  std::optional<int64_t> modified_millis;  // LAST_MODIFIED_TIME(); created time when absent
  std::map<std::string, Value, std::less<>> cells;  // keyed by field id; absent = empty cell
};

// One cell's JSON → formula value for a field (checkbox: absent/false →
// FALSE; attachments → "filename (url)"; collaborators → name or email;
// formula errors {"error": …} → #ERROR!; {"specialValue": "NaN"|"Infinity"}).
Result<Value> CellValue(const FieldInfo& field, const JsonValue& cell);

// A formula's result as the cell Airtable returns for a field whose result
// type is `result_type` (API.md §5.3), as JSON text: "null" for an empty
// cell (blank, "", false, []); whole numbers as integers; NaN/±Infinity as
// {"specialValue": …}; errors {"error": …}; dates ISO UTC ("date": the day
// only). The reverse of CellValue; the emulator's recompute and airpg's
// evaluator on Postgres writes both store results through it.
std::string CellJsonFromValue(const Value& value, std::string_view result_type);

// A record from a JSON object {"Field name or id": cell, …}. Fields missing
// from the object are empty (checkboxes FALSE).
Result<Record> RecordFromJson(const Schema& schema, std::string_view json_object);

}  // namespace airpg::formula
