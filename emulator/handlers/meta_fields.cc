// POST /v0/meta/bases/{baseId}/tables/{tableId}/fields and PATCH
// …/fields/{fieldId} (API.md §5.1): add a field (computed types refused; a
// link creates its inverse in the linked table) and rename or describe one.
#include "emulator/handlers/handlers.h"
#include "emulator/meta_support.h"
#include "emulator/schema_json.h"

namespace airpg::emulator {

HandlerResult CreateField(Call& call, Base& base, Table& table) {
  EMU_ASSIGN_OR_RETURN(Field field, NewFieldFromConfig(call, base, table, call.body));
  table.fields.push_back(std::move(field));
  Field& stored = table.fields.back();
  AddInverseLink(call, base, table, stored);
  call.changes.schema.push_back({SchemaChange::Kind::kFieldCreated,
                                 table.id,
                                 stored.id,
                                 Json(),
                                 {{"name", stored.name}, {"type", stored.type}}});
  ++base.transaction_number;
  return FieldToJson(table.fields.back());
}

HandlerResult UpdateField(Call& call, Base& base, Table& table, Field& field) {
  const Json& body = call.body;
  if (!body.is_object() || (!body.contains("name") && !body.contains("description"))) {
    return InvalidRequest();
  }
  Json previous = {{"name", field.name}, {"description", field.description}};
  if (body.contains("name")) {
    if (!body["name"].is_string() || body["name"].get<std::string>().empty())
      return InvalidRequest();
    std::string name = body["name"].get<std::string>();
    for (const Field& f : table.fields) {
      if (&f != &field && EqualsIgnoreCase(f.name, name)) {
        return Unprocessable("DUPLICATE_OR_EMPTY_FIELD_NAME",
                             "A field named \"" + name + "\" already exists");
      }
    }
    field.name = name;
  }
  if (body.contains("description")) {
    field.description =
        body["description"].is_string() ? body["description"].get<std::string>() : "";
  }
  call.changes.schema.push_back({SchemaChange::Kind::kFieldChanged,
                                 table.id,
                                 field.id,
                                 previous,
                                 {{"name", field.name}, {"description", field.description}}});
  ++base.transaction_number;
  return FieldToJson(field);
}

}  // namespace airpg::emulator
