#include "airtable/schema.h"

#include "airtable/dom.h"

namespace airpg::airtable {
namespace {

using simdjson::dom::element;

Result<Field> FieldFrom(element obj) {
  Field f;
  f.id = dom::String(obj, "id");
  if (f.id.empty()) return dom::Malformed("base schema", "a field has no id");
  f.name = dom::String(obj, "name");
  f.type_name = dom::String(obj, "type");
  f.type = ParseFieldType(f.type_name);
  f.description = dom::String(obj, "description");
  element options;
  if (obj["options"].get(options) == simdjson::SUCCESS && !options.is_null()) {
    f.options_json = dom::Raw(options);
  }
  return f;
}

View ViewFrom(element obj) {
  View v{dom::String(obj, "id"),
         dom::String(obj, "name"),
         dom::String(obj, "type"),
         {},
         dom::String(obj, "personalForUserId")};
  simdjson::dom::array ids;
  if (obj["visibleFieldIds"].get_array().get(ids) == simdjson::SUCCESS) {
    for (element id : ids) {
      std::string_view s;
      if (id.get_string().get(s) == simdjson::SUCCESS) v.visible_field_ids.emplace_back(s);
    }
  }
  return v;
}

Result<Table> TableFrom(element obj) {
  Table t;
  t.id = dom::String(obj, "id");
  if (t.id.empty()) return dom::Malformed("base schema", "a table has no id");
  t.name = dom::String(obj, "name");
  t.description = dom::String(obj, "description");
  t.primary_field_id = dom::String(obj, "primaryFieldId");
  simdjson::dom::array fields, views;
  if (obj["fields"].get_array().get(fields) != simdjson::SUCCESS) {
    return dom::Malformed("base schema", "table " + t.id + " has no fields array");
  }
  for (element f : fields) {
    AIRPG_ASSIGN_OR_RETURN(Field field, FieldFrom(f));
    t.fields.push_back(std::move(field));
  }
  if (obj["views"].get_array().get(views) == simdjson::SUCCESS) {
    for (element v : views) t.views.push_back(ViewFrom(v));
  }
  return t;
}

}  // namespace

const Field* Table::FindField(std::string_view id_or_name) const {
  for (const Field& f : fields) {
    if (f.id == id_or_name) return &f;
  }
  for (const Field& f : fields) {
    if (f.name == id_or_name) return &f;
  }
  return nullptr;
}

const Table* BaseSchema::FindTable(std::string_view id_or_name) const {
  for (const Table& t : tables) {
    if (t.id == id_or_name) return &t;
  }
  for (const Table& t : tables) {
    if (t.name == id_or_name) return &t;
  }
  return nullptr;
}

Result<BaseList> ParseBaseList(std::string_view body) {
  AIRPG_ASSIGN_OR_RETURN(element root, dom::Parse(body, "base list"));
  simdjson::dom::array bases;
  if (root["bases"].get_array().get(bases) != simdjson::SUCCESS) {
    return dom::Malformed("base list", "no \"bases\" array");
  }
  BaseList out;
  for (element b : bases) {
    BaseInfo info;
    std::string_view s;
    if (b["id"].get_string().get(s) != simdjson::SUCCESS) {
      return dom::Malformed("base list", "a base without an id");
    }
    info.id = s;
    if (b["name"].get_string().get(s) == simdjson::SUCCESS) info.name = s;
    if (b["permissionLevel"].get_string().get(s) == simdjson::SUCCESS) info.permission_level = s;
    out.bases.push_back(std::move(info));
  }
  std::string_view offset;
  if (root["offset"].get_string().get(offset) == simdjson::SUCCESS) out.offset = offset;
  return out;
}

Result<BaseSchema> ParseBaseSchema(std::string_view body) {
  AIRPG_ASSIGN_OR_RETURN(element root, dom::Parse(body, "base schema"));
  simdjson::dom::array tables;
  if (root["tables"].get_array().get(tables) != simdjson::SUCCESS) {
    return dom::Malformed("base schema", "no \"tables\" array");
  }
  BaseSchema schema;
  for (element t : tables) {
    AIRPG_ASSIGN_OR_RETURN(Table table, TableFrom(t));
    schema.tables.push_back(std::move(table));
  }
  return schema;
}

}  // namespace airpg::airtable
