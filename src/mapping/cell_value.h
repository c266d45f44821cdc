// Cell conversion for column-stored fields: an Airtable cell (its JSON, REST
// form) → the Postgres value of the field's planned column, and back to the
// JSON Airtable accepts on write. The cell is parsed once (cell_json.h) and
// converted by the converter its type rule names (ColumnPlan::cell). A cell
// that cannot be carried exactly is kInvalidArgument with a reason for the
// rejects ledger, never rounded or dropped; a formula error a computed field
// holds is a value (PgValue::cell_error), not a reject. Relations (links,
// collaborators, attachments) are migrate's job. Pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "airtable/schema.h"
#include "base/result.h"
#include "mapping/type_rules.h"

namespace airpg::mapping {

// A value in Postgres text form: NULL, a scalar, or a one-dimensional array
// whose elements may be NULL (the loader encodes arrays for its COPY or
// parameters).
struct PgValue {
  bool is_null = true;
  std::string text;                                              // scalar
  std::optional<std::vector<std::optional<std::string>>> array;  // array columns
  // A computed field's error cell ({"error":"#ERROR!"}, {"specialValue":"NaN"},
  // or a lookup holding one), as canonical JSON: the column is NULL and the
  // row's airpg_cell_errors keeps this under the field id, so a NULL never
  // means two things and the cell can be rebuilt.
  std::optional<std::string> cell_error;
  static PgValue Null() { return PgValue{}; }
  static PgValue Scalar(std::string text) { return PgValue{false, std::move(text), {}, {}}; }
  static PgValue Array(std::vector<std::optional<std::string>> items) {
    return PgValue{false, "", std::move(items), {}};
  }
  static PgValue Error(std::string error_json) {
    return PgValue{true, "", {}, std::move(error_json)};
  }
};

// The column value for `cell_json` (nullopt: the cell is absent). Session
// settings assumed when the value is read back: DateStyle ISO, TimeZone UTC,
// IntervalStyle iso_8601 (pg::Connection sets the first and last).
Result<PgValue> CellToPg(const airtable::Field& field, const ColumnPlan& plan,
                         std::optional<std::string_view> cell_json);

// The Airtable write-format JSON for a column value as Postgres prints it;
// nullopt when the cell is empty (Airtable omits it). A value with a
// cell_error gives that error's JSON back.
Result<std::optional<std::string>> PgToCell(const airtable::Field& field, const ColumnPlan& plan,
                                            const PgValue& value);

}  // namespace airpg::mapping
