// POST /v0/meta/bases/{baseId}/tables and PATCH …/tables/{tableIdOrName}
// (API.md §5.1): create a table (first field primary, one "Grid view") and
// rename or describe one.
#include <cctype>

#include "emulator/handlers/handlers.h"
#include "emulator/meta_support.h"
#include "emulator/schema_json.h"
#include "emulator/wire.h"

namespace airpg::emulator {

HandlerResult CreateTable(Call& call, Base& base) {
  const Json& body = call.body;
  if (!body.is_object() || !body.contains("name") || !body["name"].is_string() ||
      !body.contains("fields") || !body["fields"].is_array() || body["fields"].empty()) {
    return InvalidRequest();
  }
  std::string name = body["name"].get<std::string>();
  for (const Table& t : base.tables) {
    if (EqualsIgnoreCase(t.name, name)) {
      return Unprocessable("DUPLICATE_TABLE_NAME", "A table named \"" + name + "\" already exists");
    }
  }
  Table table;
  table.id = call.service.ids.Next("tbl");
  table.name = name;
  table.description = StringAt(body, "description");
  for (const Json& config : body["fields"]) {
    EMU_ASSIGN_OR_RETURN(Field field, NewFieldFromConfig(call, base, table, config));
    table.fields.push_back(std::move(field));
  }
  table.primary_field_id = table.fields.front().id;
  table.views.push_back(View{call.service.ids.Next("viw"), "Grid view"});
  base.tables.push_back(std::move(table));
  Table& stored = base.tables.back();
  for (Field& field : stored.fields) AddInverseLink(call, base, stored, field);
  Json fields = Json::object();
  for (const Field& f : stored.fields) fields[f.id] = {{"name", f.name}, {"type", f.type}};
  call.changes.schema.push_back(
      {SchemaChange::Kind::kTableCreated,
       stored.id,
       "",
       Json(),
       {{"metadata", {{"name", stored.name}, {"description", stored.description}}},
        {"fieldsById", fields}}});
  ++base.transaction_number;
  return TableToJson(stored, true);
}

HandlerResult UpdateTable(Call& call, Base& base, Table& table) {
  (void)call;
  const Json& body = call.body;
  if (!body.is_object() || (!body.contains("name") && !body.contains("description"))) {
    return InvalidRequest();
  }
  Json previous = {{"name", table.name}, {"description", table.description}};
  if (body.contains("name")) {
    if (!body["name"].is_string() || body["name"].get<std::string>().empty())
      return InvalidRequest();
    std::string name = body["name"].get<std::string>();
    for (const Table& t : base.tables) {
      if (&t != &table && EqualsIgnoreCase(t.name, name)) {
        return Unprocessable("DUPLICATE_TABLE_NAME",
                             "A table named \"" + name + "\" already exists");
      }
    }
    table.name = name;
  }
  if (body.contains("description")) {
    table.description =
        body["description"].is_string() ? body["description"].get<std::string>() : "";
  }
  call.changes.schema.push_back({SchemaChange::Kind::kTableChanged,
                                 table.id,
                                 "",
                                 previous,
                                 {{"name", table.name}, {"description", table.description}}});
  ++base.transaction_number;
  return TableToJson(table, true);
}

}  // namespace airpg::emulator
