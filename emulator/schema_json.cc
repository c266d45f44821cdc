#include "emulator/schema_json.h"

#include "emulator/wire.h"

namespace airpg::emulator {

Json FieldToJson(const Field& field) {
  Json out = {{"type", field.type}, {"id", field.id}, {"name", field.name}};
  if (!field.description.empty()) out["description"] = field.description;
  if (!field.options.is_null()) out["options"] = field.options;
  return out;
}

Json ViewToJson(const View& view, bool include_visible_field_ids) {
  Json out = {{"id", view.id}, {"name", view.name}, {"type", view.type}};
  if (include_visible_field_ids && view.type == "grid") {
    out["visibleFieldIds"] = view.visible_field_ids;
  }
  return out;
}

Json TableToJson(const Table& table, bool include_visible_field_ids) {
  Json fields = Json::array();
  for (const Field& f : table.fields) fields.push_back(FieldToJson(f));
  Json views = Json::array();
  for (const View& v : table.views) {
    View shown = v;
    if (shown.visible_field_ids.empty()) {
      for (const Field& f : table.fields) shown.visible_field_ids.push_back(f.id);
    }
    views.push_back(ViewToJson(shown, include_visible_field_ids));
  }
  Json out = {{"id", table.id}, {"name", table.name}, {"primaryFieldId", table.primary_field_id}};
  if (!table.description.empty()) out["description"] = table.description;
  out["fields"] = std::move(fields);
  out["views"] = std::move(views);
  return out;
}

ApiResult<Field> FieldFromJson(const Json& json, IdGenerator& ids) {
  if (!json.is_object() || !json.contains("name") || !json["name"].is_string() ||
      !json.contains("type") || !json["type"].is_string() ||
      json["name"].get<std::string>().empty()) {
    return InvalidRequest();
  }
  Field field;
  field.id = StringAt(json, "id");
  if (field.id.empty()) field.id = ids.Next("fld");
  field.name = json["name"].get<std::string>();
  field.type = json["type"].get<std::string>();
  field.description = StringAt(json, "description");
  if (json.contains("options")) field.options = json["options"];
  // Select choices written without ids get them (API.md §5.3 write deltas).
  if (field.options.is_object() && field.options.contains("choices") &&
      field.options["choices"].is_array()) {
    for (Json& choice : field.options["choices"]) {
      if (choice.is_object() && !choice.contains("id")) choice["id"] = ids.Next("sel");
    }
  }
  return field;
}

ApiResult<View> ViewFromJson(const Json& json, const Table& table, IdGenerator& ids) {
  if (!MemberAt(json, "name").is_string()) return InvalidRequest();
  View view;
  view.id = StringAt(json, "id");
  if (view.id.empty()) view.id = ids.Next("viw");
  view.name = StringAt(json, "name");
  view.type = StringAt(json, "type", "grid");
  view.visible_field_ids = StringsAt(json, "visibleFieldIds");
  view.filter_formula = StringAt(json, "filterByFormula");
  for (const Json& s : MemberAt(json, "sort")) {
    const Field* f = table.FindField(StringAt(s, "field"));
    if (f == nullptr) return UnknownFieldName(StringAt(s, "field"));
    view.sort.push_back({f->id, StringAt(s, "direction", "asc") == "desc"});
  }
  view.manual_order = StringsAt(json, "recordOrder");
  return view;
}

}  // namespace airpg::emulator
