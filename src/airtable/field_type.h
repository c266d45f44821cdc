// FieldType: the Airtable field types of the wire model (API.md §5.3), their
// wire names, and which ones are computed (read-only through the API).
// Unknown future types parse to kUnknown so callers can carry them through.
// Pure and thread-safe.
#pragma once

#include <string_view>

namespace airpg::airtable {

enum class FieldType {
  kUnknown,
  kSingleLineText,
  kEmail,
  kUrl,
  kMultilineText,
  kNumber,
  kPercent,
  kCurrency,
  kSingleSelect,
  kMultipleSelects,
  kSingleCollaborator,
  kMultipleCollaborators,
  kMultipleRecordLinks,
  kDate,
  kDateTime,
  kPhoneNumber,
  kMultipleAttachments,
  kCheckbox,
  kFormula,
  kCreatedTime,
  kRollup,
  kCount,
  kLookup,
  kMultipleLookupValues,
  kAutoNumber,
  kBarcode,
  kRating,
  kRichText,
  kDuration,
  kLastModifiedTime,
  kButton,
  kCreatedBy,
  kLastModifiedBy,
  kExternalSyncSource,
  kAiText,
  kManualSort,
};

// The wire name ("singleLineText"); "unknown" for kUnknown.
std::string_view FieldTypeName(FieldType type);

// The type for a wire name; kUnknown for names this build does not know.
FieldType ParseFieldType(std::string_view name);

// Computed types cannot be written or created through the API.
bool IsComputed(FieldType type);

// Types the create-field/create-table endpoints accept.
bool IsCreatable(FieldType type);

}  // namespace airpg::airtable
