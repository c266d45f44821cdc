// Field type → formula type, as a table (API.md §7.3).
#include "formula/types.h"

#include <array>
#include <utility>

namespace airpg::formula {

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kBlank:
      return "blank";
    case Type::kNumber:
      return "number";
    case Type::kText:
      return "text";
    case Type::kBool:
      return "boolean";
    case Type::kDate:
      return "date";
    case Type::kArray:
      return "array";
    case Type::kAny:
      return "any";
  }
  return "?";
}

const FieldInfo* Schema::Find(std::string_view name_or_id) const {
  for (const FieldInfo& f : fields_) {
    if (f.name == name_or_id) return &f;
  }
  for (const FieldInfo& f : fields_) {
    if (f.id == name_or_id) return &f;
  }
  return nullptr;
}

namespace {

constexpr std::array<std::pair<std::string_view, Type>, 33> kFieldTypes = {{
    {"singleLineText", Type::kText},
    {"email", Type::kText},
    {"url", Type::kText},
    {"phoneNumber", Type::kText},
    {"multilineText", Type::kText},
    {"richText", Type::kText},
    {"singleSelect", Type::kText},
    {"externalSyncSource", Type::kText},
    {"barcode", Type::kText},
    {"button", Type::kText},
    {"aiText", Type::kText},
    {"singleCollaborator", Type::kText},
    {"createdBy", Type::kText},
    {"lastModifiedBy", Type::kText},
    {"number", Type::kNumber},
    {"percent", Type::kNumber},
    {"currency", Type::kNumber},
    {"duration", Type::kNumber},
    {"rating", Type::kNumber},
    {"count", Type::kNumber},
    {"autoNumber", Type::kNumber},
    {"checkbox", Type::kBool},
    {"date", Type::kDate},
    {"dateTime", Type::kDate},
    {"createdTime", Type::kDate},
    {"lastModifiedTime", Type::kDate},
    {"multipleSelects", Type::kArray},
    {"multipleRecordLinks", Type::kArray},
    {"multipleLookupValues", Type::kArray},
    {"lookup", Type::kArray},
    {"multipleAttachments", Type::kArray},
    {"multipleCollaborators", Type::kArray},
    {"manualSort", Type::kAny},
}};

}  // namespace

Type TypeOfFieldType(std::string_view airtable_type) {
  for (const auto& [name, type] : kFieldTypes) {
    if (name == airtable_type) return type;
  }
  return Type::kAny;
}

Type TypeOfField(const FieldInfo& field) {
  if (field.type == "formula" || field.type == "rollup") {
    return field.result_type.empty() ? Type::kAny : TypeOfFieldType(field.result_type);
  }
  return TypeOfFieldType(field.type);
}

}  // namespace airpg::formula
