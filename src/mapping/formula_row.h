// FormulaRow: the one binding between a mirrored row and src/formula's
// values. A row (read from S.<table>_computed, so SQL-computed fields are
// current) becomes the formula::Record the evaluator reads — numbers, text,
// booleans, dates as UTC instants (a date-only column is its day at 00:00
// UTC, as Airtable's cells give it), durations as seconds, arrays for
// lookups and multiple selects, recorded error cells as error values — and a
// formula's result becomes the value of the field's column (an error value:
// NULL plus its airpg_cell_errors entry, mapping/cell_value.h). Cells cross
// as Airtable's JSON cells, the way the emulator binds its records, so both
// evaluate the same inputs. Used by the evaluator on Postgres writes
// (sync/evaluated_fields.h). Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "formula/record.h"
#include "formula/types.h"
#include "formula/value.h"
#include "mapping/cell_value.h"
#include "mapping/schema_plan.h"

namespace airpg::mapping {

// The field as formulas see it (its result type for computed fields).
formula::FieldInfo FormulaFieldInfo(const FieldPlan& field);

// Every field of the table, as formulas see them.
formula::Schema FormulaSchema(const TablePlan& table);

// Whether the field's value is one the row carries (a column of its own,
// not a relation): the fields a formula evaluated over a row may read.
bool RowCarriesField(const FieldPlan& field);

// A SELECT-list expression giving the row aliased `alias` (of the table or
// its views) as the JSON object FormulaRecordFromRow reads: to_jsonb of the
// row, durations as seconds.
std::string FormulaRowSql(const TablePlan& table, std::string_view alias);

// The row (FormulaRowSql's JSON text) as a formula record: the cells of the
// fields RowCarriesField names, keyed by field id; the record's id and times
// from airtable_id, airtable_created_time and airtable_modified_time.
Result<formula::Record> FormulaRecordFromRow(const TablePlan& table, std::string_view row_json);

// A formula's result as the value of `field`'s column (through the cell
// Airtable would show, CellToPg): blank → NULL; an error value → NULL with
// PgValue::cell_error set.
Result<PgValue> ColumnValueFromResult(const FieldPlan& field, const formula::Value& value);

}  // namespace airpg::mapping
