// Cell JSON → formula values, one rule per field type family.
#include "formula/record.h"

#include <cmath>
#include <limits>

#include "base/json_escape.h"
#include "formula/civil_time.h"

namespace airpg::formula {
namespace {

Result<Value> Scalar(const JsonValue& j, Type type) {
  switch (j.kind) {
    case JsonValue::Kind::kNull:
      return Value::Blank();
    case JsonValue::Kind::kBool:
      return Value::Bool(j.boolean);
    case JsonValue::Kind::kNumber:
      return Value::Number(j.number);
    case JsonValue::Kind::kString: {
      if (type == Type::kDate) {
        auto millis = ParseIsoMillis(j.text);
        if (!millis) return InvalidArgumentError("not an ISO date: " + j.text);
        return Value::Date(*millis);
      }
      return Value::Text(j.text);
    }
    case JsonValue::Kind::kObject: {
      if (const JsonValue* e = j.Find("error"); e && e->kind == JsonValue::Kind::kString) {
        return Value::Error(e->text);
      }
      if (const JsonValue* s = j.Find("specialValue"); s) {
        if (s->text == "NaN") return Value::Number(std::numeric_limits<double>::quiet_NaN());
        if (s->text == "Infinity") return Value::Number(std::numeric_limits<double>::infinity());
        if (s->text == "-Infinity") return Value::Number(-std::numeric_limits<double>::infinity());
      }
      const JsonValue* filename = j.Find("filename");
      const JsonValue* url = j.Find("url");
      if (filename && url) return Value::Text(filename->text + " (" + url->text + ")");
      for (const char* key : {"name", "label", "text", "email", "value", "id"}) {
        if (const JsonValue* v = j.Find(key); v && v->kind == JsonValue::Kind::kString) {
          return Value::Text(v->text);
        }
      }
      return InvalidArgumentError("unrecognised object cell");
    }
    case JsonValue::Kind::kArray:
      return InvalidArgumentError("nested array");
  }
  return Value::Blank();
}

}  // namespace

Result<Value> CellValue(const FieldInfo& field, const JsonValue& cell) {
  Type type = TypeOfField(field);
  if (field.type == "checkbox") {
    return Value::Bool(cell.kind == JsonValue::Kind::kBool && cell.boolean);
  }
  if (cell.kind == JsonValue::Kind::kArray) {
    Type item_type = Type::kAny;
    if (field.type == "multipleLookupValues" || field.type == "lookup" || field.type == "rollup" ||
        field.type == "formula") {
      item_type = TypeOfFieldType(field.result_type);
    }
    std::vector<Value> items;
    for (const JsonValue& item : cell.items) {
      if (item.kind == JsonValue::Kind::kArray) {
        AIRPG_ASSIGN_OR_RETURN(Value nested, CellValue(field, item));
        items.push_back(std::move(nested));
        continue;
      }
      AIRPG_ASSIGN_OR_RETURN(Value v, Scalar(item, item_type));
      items.push_back(std::move(v));
    }
    return Value::Array(std::move(items));
  }
  return Scalar(cell, type);
}

std::string CellJsonFromValue(const Value& value, std::string_view result_type) {
  switch (value.kind) {
    case ValueKind::kBlank:
      return "null";
    case ValueKind::kNumber: {
      double n = value.number;
      if (std::isnan(n)) return R"({"specialValue":"NaN"})";
      if (std::isinf(n))
        return n > 0 ? R"({"specialValue":"Infinity"})" : R"({"specialValue":"-Infinity"})";
      // JavaScript's spelling: whole numbers without a fraction, as Airtable writes them.
      return FormatNumber(n);
    }
    case ValueKind::kText:
      // An empty text is an empty cell, which the API leaves out.
      return value.text.empty() ? "null" : "\"" + JsonEscape(value.text) + "\"";
    case ValueKind::kBool:
      // A false checkbox-like result is an empty cell on the wire.
      return value.boolean ? "true" : "null";
    case ValueKind::kDate: {
      std::string iso = FormatIsoUtc(value.millis);
      return "\"" + (result_type == "date" ? iso.substr(0, 10) : iso) + "\"";
    }
    case ValueKind::kArray: {
      if (value.items.empty()) return "null";
      std::string out = "[";
      for (size_t i = 0; i < value.items.size(); ++i) {
        out += (i ? "," : "") + CellJsonFromValue(value.items[i], result_type);
      }
      return out + "]";
    }
    case ValueKind::kError:
      return "{\"error\":\"" + JsonEscape(value.text.empty() ? "#ERROR!" : value.text) + "\"}";
  }
  return "null";
}

Result<Record> RecordFromJson(const Schema& schema, std::string_view json_object) {
  AIRPG_ASSIGN_OR_RETURN(JsonValue doc, ParseJson(json_object));
  if (doc.kind != JsonValue::Kind::kObject) {
    return InvalidArgumentError("a record must be a JSON object of cells");
  }
  Record record;
  for (const auto& [key, cell] : doc.members) {
    const FieldInfo* field = schema.Find(key);
    if (!field) return InvalidArgumentError("record names an unknown field: " + key);
    AIRPG_ASSIGN_OR_RETURN(Value v, CellValue(*field, cell));
    record.cells[field->id] = std::move(v);
  }
  for (const FieldInfo& field : schema.fields()) {
    if (field.type == "checkbox" && !record.cells.count(field.id)) {
      record.cells[field.id] = Value::Bool(false);
    }
  }
  return record;
}

}  // namespace airpg::formula
