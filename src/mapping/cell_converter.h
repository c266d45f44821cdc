// CellConverter: how one kind of column value crosses between an Airtable
// cell and Postgres. Each type rule (type_rules.h) names its converter in the
// ColumnPlan it makes, so cell_value.cc dispatches through the plan rather
// than on SQL type strings. A converter works on one JSON value (an element
// of a lookup array, or the whole cell) already parsed by ParseCellJson.
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "mapping/cell_json.h"

namespace airpg::mapping {

struct ColumnPlan;

enum class CellKind { kText, kNumber, kInteger, kDuration, kBoolean, kDate, kInstant, kJson };

struct CellConverter {
  CellKind kind;
  std::string_view name;
  // The value as Postgres input text for the column; an error is the reason
  // the value cannot be carried exactly (for the rejects ledger).
  Result<std::string> (*to_pg)(const ColumnPlan& plan, const JsonNode& value);
  // The column's text as Postgres prints it (DateStyle ISO, TimeZone UTC,
  // IntervalStyle iso_8601) → the cell JSON Airtable accepts.
  Result<std::string> (*to_cell)(const ColumnPlan& plan, std::string_view text);
  // to_pg's text → the form two spellings of one value share (checksums).
  std::string (*canonical)(std::string_view text);
};

const CellConverter& TextConverter();
const CellConverter& NumberConverter();    // numeric: every digit of the JSON text
const CellConverter& IntegerConverter();   // smallint/integer/bigint, bounds in the plan
const CellConverter& DurationConverter();  // seconds → interval
const CellConverter& BooleanConverter();
const CellConverter& DateConverter();     // YYYY-MM-DD; computed: an instant, in the field's zone
const CellConverter& InstantConverter();  // UTC instant → timestamptz
const CellConverter& JsonConverter();     // jsonb, written canonically

}  // namespace airpg::mapping
