// Typed readers of cells (API.md §5.3). A Record keeps each cell as the JSON
// Airtable sent; these read it as the structure its field type calls for, in
// the REST ("V1") form or the webhook ("V2") form. A value of the wrong shape
// is kInvalidArgument (the caller rejects it with the reason), never a crash.
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/attachment.h"
#include "base/result.h"

namespace airpg::airtable {

struct Collaborator {  // singleCollaborator, createdBy, lastModifiedBy
  std::string id;      // usr… or ugp… (groups)
  std::string email;
  std::string name;
  std::string permission_level;  // webhook form only
  std::string profile_pic_url;   // webhook form only
};

struct Barcode {
  std::string text;
  std::string type;  // "" when absent
};

struct Button {
  std::string label;
  std::optional<std::string> url;
};

struct AiText {
  std::string state;  // empty | loading | generated | error
  bool is_stale = false;
  std::optional<std::string> value;
  std::string error_type;
};

struct SelectChoice {  // webhook form of singleSelect/multipleSelects
  std::string id;
  std::string name;
  std::string color;
};

struct LinkedRecord {  // webhook form of multipleRecordLinks
  std::string id;
  std::string name;
};

// A formula, rollup or lookup that did not compute: {"error":"#ERROR!"} or
// {"specialValue":"NaN"|"Infinity"}.
struct SpecialValue {
  std::string error;          // "#ERROR!" …
  std::string special_value;  // "NaN", "Infinity"
};

Result<std::string> ReadString(std::string_view json);
Result<double> ReadNumber(std::string_view json);
// The number exactly as sent in a record page (digits kept, for numeric columns).
Result<std::string> ReadNumberText(std::string_view json);
Result<bool> ReadBool(std::string_view json);
Result<std::vector<std::string>> ReadStrings(std::string_view json);  // selects, links (V1)
Result<Collaborator> ReadCollaborator(std::string_view json);
Result<std::vector<Collaborator>> ReadCollaborators(std::string_view json);
// Thumbnails kept; sha256 empty (airpg::Attachment, base/attachment.h).
Result<std::vector<Attachment>> ReadAttachments(std::string_view json);
Result<Barcode> ReadBarcode(std::string_view json);
Result<Button> ReadButton(std::string_view json);
Result<AiText> ReadAiText(std::string_view json);
Result<SelectChoice> ReadSelectChoice(std::string_view json);
Result<std::vector<SelectChoice>> ReadSelectChoices(std::string_view json);
Result<std::vector<LinkedRecord>> ReadLinkedRecords(std::string_view json);
// nullopt when the cell is an ordinary value rather than an error/special value.
Result<std::optional<SpecialValue>> ReadSpecialValue(std::string_view json);

}  // namespace airpg::airtable
