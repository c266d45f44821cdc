#include "airtable/field_type.h"

#include <array>
#include <utility>

namespace airpg::airtable {
namespace {

struct Rule {
  FieldType type;
  std::string_view name;
  bool computed;
  bool creatable;
};

// One row per type: wire name, computed, creatable through the Meta API.
constexpr std::array<Rule, 35> kRules = {{
    {FieldType::kSingleLineText, "singleLineText", false, true},
    {FieldType::kEmail, "email", false, true},
    {FieldType::kUrl, "url", false, true},
    {FieldType::kMultilineText, "multilineText", false, true},
    {FieldType::kNumber, "number", false, true},
    {FieldType::kPercent, "percent", false, true},
    {FieldType::kCurrency, "currency", false, true},
    {FieldType::kSingleSelect, "singleSelect", false, true},
    {FieldType::kMultipleSelects, "multipleSelects", false, true},
    {FieldType::kSingleCollaborator, "singleCollaborator", false, true},
    {FieldType::kMultipleCollaborators, "multipleCollaborators", false, true},
    {FieldType::kMultipleRecordLinks, "multipleRecordLinks", false, true},
    {FieldType::kDate, "date", false, true},
    {FieldType::kDateTime, "dateTime", false, true},
    {FieldType::kPhoneNumber, "phoneNumber", false, true},
    {FieldType::kMultipleAttachments, "multipleAttachments", false, true},
    {FieldType::kCheckbox, "checkbox", false, true},
    {FieldType::kFormula, "formula", true, false},
    {FieldType::kCreatedTime, "createdTime", true, false},
    {FieldType::kRollup, "rollup", true, false},
    {FieldType::kCount, "count", true, false},
    {FieldType::kLookup, "lookup", true, false},
    {FieldType::kMultipleLookupValues, "multipleLookupValues", true, false},
    {FieldType::kAutoNumber, "autoNumber", true, false},
    {FieldType::kBarcode, "barcode", false, true},
    {FieldType::kRating, "rating", false, true},
    {FieldType::kRichText, "richText", false, true},
    {FieldType::kDuration, "duration", false, true},
    {FieldType::kLastModifiedTime, "lastModifiedTime", true, false},
    {FieldType::kButton, "button", true, false},
    {FieldType::kCreatedBy, "createdBy", true, false},
    {FieldType::kLastModifiedBy, "lastModifiedBy", true, false},
    {FieldType::kExternalSyncSource, "externalSyncSource", true, false},
    {FieldType::kAiText, "aiText", true, false},
    {FieldType::kManualSort, "manualSort", true, false},
}};

const Rule* Find(FieldType type) {
  for (const Rule& rule : kRules) {
    if (rule.type == type) return &rule;
  }
  return nullptr;
}

}  // namespace

std::string_view FieldTypeName(FieldType type) {
  const Rule* rule = Find(type);
  return rule ? rule->name : "unknown";
}

FieldType ParseFieldType(std::string_view name) {
  for (const Rule& rule : kRules) {
    if (rule.name == name) return rule.type;
  }
  return FieldType::kUnknown;
}

bool IsComputed(FieldType type) {
  const Rule* rule = Find(type);
  return rule != nullptr && rule->computed;
}

bool IsCreatable(FieldType type) {
  const Rule* rule = Find(type);
  return rule != nullptr && rule->creatable;
}

}  // namespace airpg::airtable
