#include "emulator/schema_json.h"

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
  field.id = json.value("id", "");
  if (field.id.empty()) field.id = ids.Next("fld");
  field.name = json["name"].get<std::string>();
  field.type = json["type"].get<std::string>();
  field.description = json.value("description", "");
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
  if (!json.is_object() || !json.contains("name")) return InvalidRequest();
  View view;
  view.id = json.value("id", "");
  if (view.id.empty()) view.id = ids.Next("viw");
  view.name = json.value("name", "");
  view.type = json.value("type", "grid");
  if (json.contains("visibleFieldIds")) {
    view.visible_field_ids = json["visibleFieldIds"].get<std::vector<std::string>>();
  }
  view.filter_formula = json.value("filterByFormula", "");
  if (json.contains("sort")) {
    for (const Json& s : json["sort"]) {
      const Field* f = table.FindField(s.value("field", ""));
      if (f == nullptr) return UnknownFieldName(s.value("field", ""));
      view.sort.push_back({f->id, s.value("direction", "asc") == "desc"});
    }
  }
  if (json.contains("recordOrder")) {
    view.manual_order = json["recordOrder"].get<std::vector<std::string>>();
  }
  return view;
}

}  // namespace airpg::emulator
