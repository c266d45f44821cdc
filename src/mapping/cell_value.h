// Cell conversion for column-stored fields: an Airtable cell (its JSON, REST
// form) → the Postgres value of the field's planned column, and back to the
// JSON Airtable accepts on write. A cell that cannot be carried exactly is
// kInvalidArgument with a reason for the rejects ledger, never rounded or
// dropped. Relations (links, collaborators, attachments) are migrate's job.
// Pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "airtable/schema.h"
#include "base/result.h"
#include "mapping/type_rules.h"

namespace airpg::mapping {

// A value in Postgres text form: NULL, a scalar, or a one-dimensional text
// array (the loader encodes arrays for its COPY or parameters).
struct PgValue {
  bool is_null = true;
  std::string text;                               // scalar
  std::optional<std::vector<std::string>> array;  // text[] columns
  static PgValue Null() { return PgValue{}; }
  static PgValue Scalar(std::string text) { return PgValue{false, std::move(text), std::nullopt}; }
  static PgValue Array(std::vector<std::string> items) {
    return PgValue{false, "", std::move(items)};
  }
};

// The column value for `cell_json` (nullopt: the cell is absent). Session
// settings assumed when the value is read back: DateStyle ISO, TimeZone UTC,
// IntervalStyle iso_8601 (pg::Connection sets the first and last).
Result<PgValue> CellToPg(const airtable::Field& field, const ColumnPlan& plan,
                         std::optional<std::string_view> cell_json);

// The Airtable write-format JSON for a column value as Postgres prints it;
// nullopt when the cell is empty (Airtable omits it).
Result<std::optional<std::string>> PgToCell(const airtable::Field& field, const ColumnPlan& plan,
                                            const PgValue& value);

}  // namespace airpg::mapping
