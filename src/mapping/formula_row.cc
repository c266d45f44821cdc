#include "mapping/formula_row.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/sql_identifier.h"
#include "formula/civil_time.h"
#include "formula/json_value.h"

namespace airpg::mapping {
namespace {

using nlohmann::json;

std::string ResultType(const FieldPlan& f) {
  json options = json::parse(f.field.options_json, nullptr, false);
  if (options.is_object() && options.contains("result") && options["result"].is_object() &&
      options["result"].contains("type") && options["result"]["type"].is_string()) {
    return options["result"]["type"].get<std::string>();
  }
  return "";
}

std::optional<int64_t> Millis(const json& row, const char* column) {
  auto it = row.find(column);
  if (it == row.end() || !it->is_string()) return std::nullopt;
  return formula::ParseIsoMillis(it->get<std::string>());
}

}  // namespace

formula::FieldInfo FormulaFieldInfo(const FieldPlan& f) {
  return {f.field.id, f.field.name, f.field.type_name, ResultType(f)};
}

formula::Schema FormulaSchema(const TablePlan& table) {
  formula::Schema schema;
  for (const FieldPlan& f : table.fields) schema.Add(FormulaFieldInfo(f));
  return schema;
}

bool RowCarriesField(const FieldPlan& f) {
  if (!f.HasColumn() || f.link_role != LinkRole::kNone) return false;
  switch (f.column.storage) {
    case Storage::kColumn:
    case Storage::kChoice:
    case Storage::kChoiceArray:
      return true;
    default:
      return false;
  }
}

std::string FormulaRowSql(const TablePlan& table, std::string_view alias) {
  std::string a = QuoteIdentifier(alias);
  std::string seconds;
  for (const FieldPlan& f : table.fields) {
    if (!RowCarriesField(f) || f.column.sql_type != "interval") continue;
    seconds +=
        fmt::format("{}{}, extract(epoch from {}.{})", seconds.empty() ? "" : ", ",
                    SqlStringLiteralForScript(f.column_name), a, QuoteIdentifier(f.column_name));
  }
  if (seconds.empty()) return fmt::format("to_jsonb({})", a);
  return fmt::format("to_jsonb({}) || jsonb_build_object({})", a, seconds);
}

Result<formula::Record> FormulaRecordFromRow(const TablePlan& table, std::string_view row_json) {
  json row = json::parse(row_json, nullptr, false);
  if (!row.is_object()) return InvalidArgumentError("a row must be a JSON object");
  formula::Record record;
  if (auto id = row.find("airtable_id"); id != row.end() && id->is_string()) {
    record.record_id = id->get<std::string>();
  }
  record.created_millis = Millis(row, "airtable_created_time").value_or(0);
  record.modified_millis = Millis(row, "airtable_modified_time");
  json errors = row.value("airpg_cell_errors", json());
  for (const FieldPlan& f : table.fields) {
    if (!RowCarriesField(f)) continue;
    // A recorded error cell: the column is NULL and the error is the value.
    json cell = errors.is_object() && errors.contains(f.field.id)
                    ? errors[f.field.id]
                    : row.value(f.column_name, json());
    formula::FieldInfo info = FormulaFieldInfo(f);
    if (cell.is_null() && f.field.type_name != "checkbox") continue;  // an empty cell
    AIRPG_ASSIGN_OR_RETURN(formula::JsonValue value, formula::ParseJson(cell.dump()));
    Result<formula::Value> v = formula::CellValue(info, value);
    if (!v.ok()) {
      return InvalidArgumentError(fmt::format("column {} holds {}, which field {} cannot read: {}",
                                              f.column_name, cell.dump(), f.field.id,
                                              v.status().message()));
    }
    record.cells[f.field.id] = std::move(*v);
  }
  return record;
}

Result<PgValue> ColumnValueFromResult(const FieldPlan& field, const formula::Value& value) {
  std::string cell = formula::CellJsonFromValue(value, ResultType(field));
  if (cell == "null") return PgValue::Null();
  return CellToPg(field.field, field.column, cell);
}

}  // namespace airpg::mapping
