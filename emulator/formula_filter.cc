#include "emulator/formula_filter.h"

#include <string>

#include "emulator/record_renderer.h"
#include "formula/evaluator.h"
#include "formula/parser.h"
#include "formula/record.h"
#include "formula/time_zone.h"
#include "formula/type_checker.h"

namespace airpg::emulator {
namespace {

constexpr char kInvalid[] =
    "The formula for filtering records is invalid: Invalid formula. Please check your formula "
    "text.";

// nlohmann's value → the formula layer's JSON model.
formula::JsonValue ToJsonValue(const Json& j) {
  formula::JsonValue v;
  if (j.is_boolean()) {
    v.kind = formula::JsonValue::Kind::kBool;
    v.boolean = j.get<bool>();
  } else if (j.is_number()) {
    v.kind = formula::JsonValue::Kind::kNumber;
    v.number = j.get<double>();
    v.text = j.dump();
  } else if (j.is_string()) {
    v.kind = formula::JsonValue::Kind::kString;
    v.text = j.get<std::string>();
  } else if (j.is_array()) {
    v.kind = formula::JsonValue::Kind::kArray;
    for (const Json& item : j) v.items.push_back(ToJsonValue(item));
  } else if (j.is_object()) {
    v.kind = formula::JsonValue::Kind::kObject;
    for (auto it = j.begin(); it != j.end(); ++it) {
      v.members.push_back({it.key(), ToJsonValue(it.value())});
    }
  }
  return v;
}

formula::Schema SchemaOf(const Table& table) {
  formula::Schema schema;
  for (const Field& f : table.fields) {
    std::string result_type;
    if (f.options.is_object() && f.options.contains("result") && f.options["result"].is_object() &&
        f.options["result"].contains("type") && f.options["result"]["type"].is_string()) {
      result_type = f.options["result"]["type"].get<std::string>();
    }
    schema.Add({f.id, f.name, f.type, result_type});
  }
  return schema;
}

void UnknownFields(const formula::Node& node, const formula::Schema& schema, std::string* out) {
  if (node.kind == formula::NodeKind::kField && schema.Find(node.text) == nullptr) {
    *out += (out->empty() ? "" : ", ") + node.text;
  }
  for (const formula::NodePtr& arg : node.args) UnknownFields(*arg, schema, out);
}

class FormulaFilter final : public RecordFilter {
 public:
  FormulaFilter(formula::NodePtr root, formula::Schema schema)
      : root_(std::move(root)), schema_(std::move(schema)) {}

  bool Matches(const Base& base, const Table& table, const Record& record,
               int64_t now_millis) const override {
    formula::Record r;
    r.record_id = record.id;
    r.created_millis = record.created_millis;
    r.modified_millis = record.modified_millis;
    for (const Field& field : table.fields) {
      // The cell as a read shows it: computed fields (created and modified
      // times, counts, lookups) included.
      Json cell = CellValue(base, table, field, record);
      if (cell.is_null()) continue;
      const formula::FieldInfo* info = schema_.Find(field.id);
      Result<formula::Value> value = formula::CellValue(*info, ToJsonValue(cell));
      // A cell the formula layer cannot read counts as an error value, as in Airtable.
      r.cells[field.id] = value.ok() ? *value : formula::Value::Error();
    }
    formula::EvalOptions options;
    options.now_millis = now_millis;
    options.zones = formula::SystemTimeZones();
    Result<bool> keep = formula::EvaluateFilter(*root_, schema_, r, options);
    return keep.ok() && *keep;
  }

 private:
  formula::NodePtr root_;
  formula::Schema schema_;
};

}  // namespace

FilterCompiler FormulaFilterCompiler() {
  return [](const Base&, const Table& table,
            const std::string& text) -> ApiResult<std::unique_ptr<RecordFilter>> {
    Result<formula::NodePtr> root = formula::Parse(text);
    if (!root.ok()) return Unprocessable("INVALID_FILTER_BY_FORMULA", kInvalid);
    formula::Schema schema = SchemaOf(table);
    std::string unknown;
    UnknownFields(**root, schema, &unknown);
    if (!unknown.empty()) {
      return Unprocessable(
          "INVALID_FILTER_BY_FORMULA",
          "The formula for filtering records is invalid: Unknown field names: " + unknown);
    }
    if (!formula::CheckTypes(**root, schema).ok()) {
      return Unprocessable("INVALID_FILTER_BY_FORMULA", kInvalid);
    }
    return std::unique_ptr<RecordFilter>(
        std::make_unique<FormulaFilter>(std::move(root).value(), std::move(schema)));
  };
}

}  // namespace airpg::emulator
