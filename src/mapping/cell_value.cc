#include "mapping/cell_value.h"

#include <utility>

#include <fmt/core.h>

#include "mapping/cell_json.h"

namespace airpg::mapping {
namespace {

Status Reject(const airtable::Field& field, std::string_view why) {
  return InvalidArgumentError(fmt::format("field \"{}\": {}", field.name, why));
}

bool MayHoldError(airtable::FieldType type) {
  using airtable::FieldType;
  return type == FieldType::kFormula || type == FieldType::kRollup ||
         type == FieldType::kMultipleLookupValues || type == FieldType::kLookup;
}

// {"error":"#ERROR!"}, {"specialValue":"NaN"|"Infinity"}: a formula, rollup
// or lookup that did not compute (API.md §5.3).
bool IsErrorValue(const JsonNode& node) {
  return node.kind == JsonNode::Kind::kObject && node.members.size() == 1 &&
         (node.members[0].key == "error" || node.members[0].key == "specialValue");
}

bool HoldsError(const JsonNode& node) {
  if (IsErrorValue(node)) return true;
  if (node.kind != JsonNode::Kind::kArray) return false;
  for (const JsonNode& item : node.items) {
    if (IsErrorValue(item)) return true;
  }
  return false;
}

}  // namespace

Result<PgValue> CellToPg(const airtable::Field& field, const ColumnPlan& plan,
                         std::optional<std::string_view> cell_json) {
  if (plan.cell == nullptr) {
    return FailedPreconditionError(fmt::format("field \"{}\" is stored as a relation", field.name));
  }
  const CellConverter& convert = *plan.cell;
  if (!cell_json) {
    // Airtable omits empty cells; an unchecked checkbox is one of them.
    if (convert.kind == CellKind::kBoolean && plan.not_null) return PgValue::Scalar("false");
    return PgValue::Null();
  }
  Result<JsonNode> parsed = ParseCellJson(*cell_json);
  if (!parsed.ok()) return Reject(field, parsed.status().message());
  const JsonNode& value = *parsed;
  if (MayHoldError(field.type) && HoldsError(value)) return PgValue::Error(CanonicalJson(value));
  if (value.is_null()) return PgValue::Null();
  if (plan.cell_array) {
    if (value.kind != JsonNode::Kind::kArray) {
      return Reject(field, fmt::format("{} is not a list", *cell_json));
    }
    std::vector<std::optional<std::string>> items;
    items.reserve(value.items.size());
    for (const JsonNode& item : value.items) {
      if (item.is_null()) {
        items.emplace_back();  // a lookup of an empty cell
        continue;
      }
      Result<std::string> text = convert.to_pg(plan, item);
      if (!text.ok()) return Reject(field, text.status().message());
      items.emplace_back(std::move(*text));
    }
    return PgValue::Array(std::move(items));
  }
  Result<std::string> text = convert.to_pg(plan, value);
  if (!text.ok()) return Reject(field, text.status().message());
  // Airtable omits an empty cell rather than send "", null or []; one that
  // arrives is no value (as checksums count it), which also keeps text's CHECK.
  if (text->empty() && convert.kind == CellKind::kText) return PgValue::Null();
  if (convert.kind == CellKind::kJson && (*text == "\"\"" || *text == "[]")) return PgValue::Null();
  return PgValue::Scalar(std::move(*text));
}

Result<std::optional<std::string>> PgToCell(const airtable::Field& field, const ColumnPlan& plan,
                                            const PgValue& value) {
  using Out = std::optional<std::string>;
  if (value.cell_error) return Out(*value.cell_error);
  if (value.is_null) return Out();
  if (plan.cell == nullptr) {
    return FailedPreconditionError(fmt::format("field \"{}\" is stored as a relation", field.name));
  }
  const CellConverter& convert = *plan.cell;
  if (value.array) {
    if (value.array->empty()) return Out();
    std::string out = "[";
    for (size_t i = 0; i < value.array->size(); ++i) {
      if (i) out += ',';
      const std::optional<std::string>& item = (*value.array)[i];
      if (!item) {
        out += "null";
        continue;
      }
      Result<std::string> json = convert.to_cell(plan, *item);
      if (!json.ok()) return Reject(field, json.status().message());
      out += *json;
    }
    return Out(out + "]");
  }
  if (convert.kind == CellKind::kBoolean && !(value.text == "t" || value.text == "true")) {
    return Out();
  }
  if (convert.kind == CellKind::kText && value.text.empty()) return Out();
  Result<std::string> json = convert.to_cell(plan, value.text);
  if (!json.ok()) return Reject(field, json.status().message());
  return Out(std::move(*json));
}

}  // namespace airpg::mapping
