#include "emulator/formula_cells.h"

#include <cmath>
#include <string>

#include "emulator/record_renderer.h"

namespace airpg::emulator {

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

formula::Record FormulaRecord(const Base& base, const Table& table, const formula::Schema& schema,
                              const Record& record) {
  formula::Record r;
  r.record_id = record.id;
  r.created_millis = record.created_millis;
  r.modified_millis = record.modified_millis;
  for (const Field& field : table.fields) {
    Json cell = CellValue(base, table, field, record);
    if (cell.is_null()) continue;
    const formula::FieldInfo* info = schema.Find(field.id);
    Result<formula::Value> value = formula::CellValue(*info, ToJsonValue(cell));
    r.cells[field.id] = value.ok() ? *value : formula::Value::Error();
  }
  return r;
}

Json CellFromValue(const formula::Value& value, const std::string& result_type) {
  using formula::ValueKind;
  switch (value.kind) {
    case ValueKind::kBlank:
      return Json();
    case ValueKind::kNumber: {
      double n = value.number;
      if (std::isnan(n)) return {{"specialValue", "NaN"}};
      if (std::isinf(n)) return {{"specialValue", n > 0 ? "Infinity" : "-Infinity"}};
      // Whole numbers are JSON integers, as Airtable writes them.
      if (n == std::floor(n) && std::fabs(n) < 9.007199254740992e15) {
        return static_cast<int64_t>(n);
      }
      return n;
    }
    case ValueKind::kText:
      // An empty text is an empty cell, which the API leaves out.
      return value.text.empty() ? Json() : Json(value.text);
    case ValueKind::kBool:
      // A false checkbox-like result is an empty cell on the wire.
      return value.boolean ? Json(true) : Json();
    case ValueKind::kDate: {
      std::string iso = formula::FormatIsoUtc(value.millis);
      return result_type == "date" ? Json(iso.substr(0, 10)) : Json(iso);
    }
    case ValueKind::kArray: {
      Json items = Json::array();
      for (const formula::Value& item : value.items) {
        Json cell = CellFromValue(item, result_type);
        items.push_back(cell);
      }
      return items.empty() ? Json() : items;
    }
    case ValueKind::kError:
      return {{"error", value.text.empty() ? "#ERROR!" : value.text}};
  }
  return Json();
}

}  // namespace airpg::emulator
