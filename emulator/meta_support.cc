#include "emulator/meta_support.h"

#include <cctype>

#include "emulator/schema_json.h"
#include "emulator/wire.h"

namespace airpg::emulator {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

ApiResult<Field> NewFieldFromConfig(Call& call, Base& base, const Table& table,
                                    const Json& config) {
  if (config.is_object() && config.contains("id")) return InvalidRequest();
  EMU_ASSIGN_OR_RETURN(Field field, FieldFromJson(config, call.service.ids));
  for (const Field& f : table.fields) {
    if (EqualsIgnoreCase(f.name, field.name)) {
      return Unprocessable("DUPLICATE_OR_EMPTY_FIELD_NAME",
                           "A field named \"" + field.name + "\" already exists");
    }
  }
  airtable::FieldType kind = field.kind();
  if (!airtable::IsCreatable(kind)) {
    return Unprocessable("UNSUPPORTED_FIELD_TYPE_FOR_CREATE",
                         "Creating fields of type " + field.type + " is not supported");
  }
  if (kind == airtable::FieldType::kMultipleRecordLinks) {
    std::string linked = StringAt(field.options, "linkedTableId");
    if (linked.empty() || (base.FindTable(linked) == nullptr && linked != table.id)) {
      return InvalidRequest("Invalid options for field " + field.name + ": unknown linkedTableId");
    }
    field.options["isReversed"] = false;
    field.options["prefersSingleRecordLink"] =
        BoolAt(field.options, "prefersSingleRecordLink", false);
  }
  return field;
}

void AddInverseLink(Call& call, Base& base, Table& table, Field& field) {
  if (field.kind() != airtable::FieldType::kMultipleRecordLinks ||
      field.options.contains("inverseLinkFieldId")) {
    return;
  }
  Table* linked = base.FindTable(StringAt(field.options, "linkedTableId"));
  if (linked == nullptr || linked == &table) return;  // self-links have no inverse field
  Field inverse;
  inverse.id = call.service.ids.Next("fld");
  inverse.name = table.name;
  for (int n = 2; linked->FindField(inverse.name) != nullptr; ++n) {
    inverse.name = table.name + " " + std::to_string(n);
  }
  inverse.type = "multipleRecordLinks";
  inverse.options = {{"linkedTableId", table.id},
                     {"isReversed", false},
                     {"prefersSingleRecordLink", false},
                     {"inverseLinkFieldId", field.id}};
  field.options["inverseLinkFieldId"] = inverse.id;
  linked->fields.push_back(std::move(inverse));
}

}  // namespace airpg::emulator
