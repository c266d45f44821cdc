#include "airtable/cell.h"

#include <fmt/core.h>

#include "airtable/dom.h"

namespace airpg::airtable {
namespace {

using simdjson::dom::element;

Status WrongShape(std::string_view want, std::string_view json) {
  std::string shown(json.substr(0, 80));
  return InvalidArgumentError(fmt::format("cell is not {}: {}", want, shown));
}

// Parses and checks the root is an object.
Result<element> Object(std::string_view json, std::string_view want) {
  AIRPG_ASSIGN_OR_RETURN(element root, dom::Parse(json, "cell"));
  if (!root.is_object()) return WrongShape(want, json);
  return root;
}

Collaborator CollaboratorFrom(element obj) {
  return {dom::String(obj, "id"), dom::String(obj, "email"), dom::String(obj, "name"),
          dom::String(obj, "permissionLevel"), dom::String(obj, "profilePicUrl")};
}

Attachment AttachmentFrom(element obj) {
  Attachment a;
  a.id = dom::String(obj, "id");
  a.url = dom::String(obj, "url");
  a.filename = dom::String(obj, "filename");
  a.size = dom::Int(obj, "size");
  a.type = dom::String(obj, "type");
  int64_t n;
  if (obj["width"].get_int64().get(n) == simdjson::SUCCESS) a.width = n;
  if (obj["height"].get_int64().get(n) == simdjson::SUCCESS) a.height = n;
  simdjson::dom::object thumbs;
  if (obj["thumbnails"].get_object().get(thumbs) == simdjson::SUCCESS) {
    for (auto [name, t] : thumbs) {
      a.thumbnails[std::string(name)] =
          AttachmentThumbnail{dom::String(t, "url"), dom::Int(t, "width"), dom::Int(t, "height")};
    }
  }
  return a;
}

// Reads an array of objects with `from`, each required to be an object.
template <typename T, typename F>
Result<std::vector<T>> ObjectArray(std::string_view json, std::string_view want, F from) {
  AIRPG_ASSIGN_OR_RETURN(element root, dom::Parse(json, "cell"));
  simdjson::dom::array array;
  if (root.get_array().get(array) != simdjson::SUCCESS) return WrongShape(want, json);
  std::vector<T> out;
  for (element item : array) {
    if (!item.is_object()) return WrongShape(want, json);
    out.push_back(from(item));
  }
  return out;
}

}  // namespace

Result<std::string> ReadString(std::string_view json) {
  AIRPG_ASSIGN_OR_RETURN(element root, dom::Parse(json, "cell"));
  std::string_view s;
  if (root.get_string().get(s) != simdjson::SUCCESS) return WrongShape("a string", json);
  return std::string(s);
}

Result<double> ReadNumber(std::string_view json) {
  AIRPG_ASSIGN_OR_RETURN(element root, dom::Parse(json, "cell"));
  double d;
  if (root.get_double().get(d) != simdjson::SUCCESS) return WrongShape("a number", json);
  return d;
}

Result<std::string> ReadNumberText(std::string_view json) {
  AIRPG_ASSIGN_OR_RETURN(element root, dom::Parse(json, "cell"));
  if (!root.is_number()) return WrongShape("a number", json);
  // The text itself, not a re-serialised double: every digit Airtable sent.
  size_t first = json.find_first_not_of(" \t\r\n");
  size_t last = json.find_last_not_of(" \t\r\n");
  return std::string(json.substr(first, last - first + 1));
}

Result<bool> ReadBool(std::string_view json) {
  AIRPG_ASSIGN_OR_RETURN(element root, dom::Parse(json, "cell"));
  bool b;
  if (root.get_bool().get(b) != simdjson::SUCCESS) return WrongShape("true or false", json);
  return b;
}

Result<std::vector<std::string>> ReadStrings(std::string_view json) {
  AIRPG_ASSIGN_OR_RETURN(element root, dom::Parse(json, "cell"));
  simdjson::dom::array array;
  if (root.get_array().get(array) != simdjson::SUCCESS) return WrongShape("an array", json);
  std::vector<std::string> out;
  for (element item : array) {
    std::string_view s;
    if (item.get_string().get(s) != simdjson::SUCCESS) return WrongShape("strings", json);
    out.emplace_back(s);
  }
  return out;
}

Result<Collaborator> ReadCollaborator(std::string_view json) {
  AIRPG_ASSIGN_OR_RETURN(element obj, Object(json, "a collaborator"));
  return CollaboratorFrom(obj);
}

Result<std::vector<Collaborator>> ReadCollaborators(std::string_view json) {
  return ObjectArray<Collaborator>(json, "collaborators", CollaboratorFrom);
}

Result<std::vector<Attachment>> ReadAttachments(std::string_view json) {
  return ObjectArray<Attachment>(json, "attachments", AttachmentFrom);
}

Result<Barcode> ReadBarcode(std::string_view json) {
  AIRPG_ASSIGN_OR_RETURN(element obj, Object(json, "a barcode"));
  return Barcode{dom::String(obj, "text"), dom::String(obj, "type")};
}

Result<Button> ReadButton(std::string_view json) {
  AIRPG_ASSIGN_OR_RETURN(element obj, Object(json, "a button"));
  Button b{dom::String(obj, "label"), std::nullopt};
  std::string_view url;
  if (obj["url"].get_string().get(url) == simdjson::SUCCESS) b.url = std::string(url);
  return b;
}

Result<AiText> ReadAiText(std::string_view json) {
  AIRPG_ASSIGN_OR_RETURN(element obj, Object(json, "an AI text"));
  AiText t;
  t.state = dom::String(obj, "state");
  bool stale = false;
  if (obj["isStale"].get_bool().get(stale) == simdjson::SUCCESS) t.is_stale = stale;
  std::string_view value;
  if (obj["value"].get_string().get(value) == simdjson::SUCCESS) t.value = std::string(value);
  t.error_type = dom::String(obj, "errorType");
  return t;
}

Result<SelectChoice> ReadSelectChoice(std::string_view json) {
  AIRPG_ASSIGN_OR_RETURN(element obj, Object(json, "a select choice"));
  return SelectChoice{dom::String(obj, "id"), dom::String(obj, "name"), dom::String(obj, "color")};
}

Result<std::vector<SelectChoice>> ReadSelectChoices(std::string_view json) {
  return ObjectArray<SelectChoice>(json, "select choices", [](element obj) {
    return SelectChoice{dom::String(obj, "id"), dom::String(obj, "name"),
                        dom::String(obj, "color")};
  });
}

Result<std::vector<LinkedRecord>> ReadLinkedRecords(std::string_view json) {
  return ObjectArray<LinkedRecord>(json, "linked records", [](element obj) {
    return LinkedRecord{dom::String(obj, "id"), dom::String(obj, "name")};
  });
}

Result<std::optional<SpecialValue>> ReadSpecialValue(std::string_view json) {
  AIRPG_ASSIGN_OR_RETURN(element root, dom::Parse(json, "cell"));
  if (!root.is_object()) return std::optional<SpecialValue>();
  SpecialValue v{dom::String(root, "error"), dom::String(root, "specialValue")};
  if (v.error.empty() && v.special_value.empty()) return std::optional<SpecialValue>();
  return std::optional<SpecialValue>(v);
}

}  // namespace airpg::airtable
