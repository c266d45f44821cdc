#include "emulator/webhook_payload.h"

#include <algorithm>

#include "emulator/clock.h"
#include "emulator/record_renderer.h"
#include "emulator/wire.h"

namespace airpg::emulator {
namespace {

using airtable::FieldType;

bool Lists(const Json& array, const std::string& value) {
  return array.is_array() && std::find(array.begin(), array.end(), Json(value)) != array.end();
}

Json Choice(const Field& field, const Json& name) {
  if (field.options.is_object() && field.options.contains("choices")) {
    for (const Json& c : field.options["choices"]) {
      if (MemberAt(c, "name") == name) return c;
    }
  }
  return {{"name", name}};
}

Json Cells(const Base& base, const Table& table, const Json& cells, const Json& only) {
  Json out = Json::object();
  for (const Field& field : table.fields) {
    if (!cells.contains(field.id)) continue;
    if (only.is_array() && !Lists(only, field.id)) continue;
    out[field.id] = CellV2(base, field, cells[field.id]);
  }
  return out;
}

}  // namespace

Json CellV2(const Base& base, const Field& field, const Json& value) {
  switch (field.kind()) {
    case FieldType::kSingleSelect:
      return Choice(field, value);
    case FieldType::kMultipleSelects: {
      Json out = Json::array();
      for (const Json& v : value) out.push_back(Choice(field, v));
      return out;
    }
    case FieldType::kMultipleRecordLinks: {
      Json out = Json::array();
      Table* linked = const_cast<Base&>(base).FindTable(StringAt(field.options, "linkedTableId"));
      for (const Json& id : value) {
        Json link = {{"id", id}};
        if (linked != nullptr) {
          const Record* r = linked->FindRecord(AsString(id));
          const Field* primary = linked->FindField(linked->primary_field_id);
          if (r != nullptr && primary != nullptr) {
            link["name"] = CellText(base, *primary, CellValue(base, *linked, *primary, *r));
          }
        }
        out.push_back(link);
      }
      return out;
    }
    case FieldType::kSingleCollaborator: {
      Json out = value;
      if (out.is_object()) out["permissionLevel"] = "edit";
      return out;
    }
    case FieldType::kMultipleCollaborators: {
      Json out = value;
      for (Json& c : out) {
        if (c.is_object()) c["permissionLevel"] = "edit";
      }
      return out;
    }
    default:
      return value;
  }
}

Json BuildPayload(const PayloadContext& ctx, const Json& specification, const ChangeSet& changes) {
  Json options = specification.value("options", Json::object());
  Json filters = options.value("filters", Json::object());
  Json includes = options.value("includes", Json::object());
  Json data_types = filters.value("dataTypes", Json::array());
  std::string scope = StringAt(filters, "recordChangeScope");
  Json change_types = filters.value("changeTypes", Json());
  Json from_sources = filters.value("fromSources", Json());
  Json watch_data = filters.value("watchDataInFieldIds", Json());
  Json include_cells = includes.value("includeCellValuesInFieldIds", Json());
  bool include_previous = BoolAt(includes, "includePreviousCellValues", false);
  if (from_sources.is_array() && !Lists(from_sources, changes.source)) return Json();

  auto in_scope = [&](const std::string& table_id) {
    if (scope.empty() || scope == table_id) return true;
    Table* table = const_cast<Base&>(ctx.base).FindTable(table_id);
    return table != nullptr && table->FindView(scope) != nullptr;  // a view of this table
  };
  auto wants = [&](const char* type) {
    return !change_types.is_array() || Lists(change_types, type);
  };

  Json tables = Json::object();
  if (Lists(data_types, "tableData")) {
    for (const RecordChange& change : changes.records) {
      if (!in_scope(change.table_id)) continue;
      Table* table = const_cast<Base&>(ctx.base).FindTable(change.table_id);
      if (table == nullptr) continue;
      Json& t = tables[change.table_id];
      switch (change.kind) {
        case RecordChange::Kind::kCreated:
          if (!wants("add")) break;
          t["createdRecordsById"][change.record_id] = {
              {"createdTime", FormatIsoMillis(change.created_millis)},
              {"cellValuesByFieldId", Cells(ctx.base, *table, change.current, Json())}};
          break;
        case RecordChange::Kind::kDestroyed:
          if (!wants("remove")) break;
          t["destroyedRecordIds"].push_back(change.record_id);
          break;
        case RecordChange::Kind::kChanged: {
          if (!wants("update")) break;
          Json changed_ids = Json::array();
          for (const Field& f : table->fields) {
            Json before = change.previous.contains(f.id) ? change.previous[f.id] : Json();
            Json after = change.current.contains(f.id) ? change.current[f.id] : Json();
            if (before != after) changed_ids.push_back(f.id);
          }
          if (changed_ids.empty()) break;
          if (watch_data.is_array()) {
            bool watched = false;
            for (const Json& id : changed_ids) watched |= Lists(watch_data, id.get<std::string>());
            if (!watched) break;
          }
          Json current = Cells(ctx.base, *table, change.current, changed_ids);
          for (const Json& id : changed_ids) {
            if (!current.contains(id.get<std::string>())) current[id.get<std::string>()] = nullptr;
          }
          Json entry = {{"current", {{"cellValuesByFieldId", current}}}};
          if (include_previous) {
            Json previous = Cells(ctx.base, *table, change.previous, changed_ids);
            for (const Json& id : changed_ids) {
              if (!previous.contains(id.get<std::string>()))
                previous[id.get<std::string>()] = nullptr;
            }
            entry["previous"] = {{"cellValuesByFieldId", previous}};
          }
          if (!include_cells.is_null()) {
            Json unchanged = Json::object();
            for (const Field& f : table->fields) {
              bool asked = include_cells == "all" || Lists(include_cells, f.id);
              if (asked && !Lists(changed_ids, f.id) && change.current.contains(f.id)) {
                unchanged[f.id] = CellV2(ctx.base, f, change.current[f.id]);
              }
            }
            if (!unchanged.empty()) entry["unchanged"] = {{"cellValuesByFieldId", unchanged}};
          }
          t["changedRecordsById"][change.record_id] = entry;
          break;
        }
      }
      if (t.is_null() || t.empty()) tables.erase(change.table_id);
    }
  }
  for (const SchemaChange& change : changes.schema) {
    bool fields = change.kind == SchemaChange::Kind::kFieldCreated ||
                  change.kind == SchemaChange::Kind::kFieldChanged;
    if (!Lists(data_types, fields ? "tableFields" : "tableMetadata") ||
        !in_scope(change.table_id)) {
      continue;
    }
    Json& t = tables[change.table_id];
    switch (change.kind) {
      case SchemaChange::Kind::kFieldCreated:
        t["createdFieldsById"][change.field_id] = change.current;
        break;
      case SchemaChange::Kind::kFieldChanged:
        t["changedFieldsById"][change.field_id] = {{"current", change.current},
                                                   {"previous", change.previous}};
        break;
      case SchemaChange::Kind::kTableChanged:
        t["changedMetadata"] = {{"current", change.current}, {"previous", change.previous}};
        break;
      case SchemaChange::Kind::kTableCreated:
        tables.erase(change.table_id);  // reported below as createdTablesById
        break;
    }
  }
  Json created_tables = Json::object();
  for (const SchemaChange& change : changes.schema) {
    if (change.kind == SchemaChange::Kind::kTableCreated && Lists(data_types, "tableMetadata")) {
      created_tables[change.table_id] = change.current;
    }
  }
  if (tables.empty() && created_tables.empty()) return Json();
  Json user = {{"id", ctx.user.id}, {"email", ctx.user.email}, {"permissionLevel", "create"}};
  if (!ctx.user.name.empty()) user["name"] = ctx.user.name;
  Json payload = {
      {"timestamp", FormatIsoMillis(ctx.now_millis)},
      {"baseTransactionNumber", ctx.transaction_number},
      {"actionMetadata", {{"source", changes.source}, {"sourceMetadata", {{"user", user}}}}},
      {"payloadFormat", "v0"}};
  if (!tables.empty()) payload["changedTablesById"] = tables;
  if (!created_tables.empty()) payload["createdTablesById"] = created_tables;
  return payload;
}

}  // namespace airpg::emulator
