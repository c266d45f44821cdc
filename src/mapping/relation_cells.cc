#include "mapping/relation_cells.h"

#include <climits>
#include <set>

#include <fmt/core.h>

#include "airtable/cell.h"
#include "base/json_escape.h"

namespace airpg::mapping {
namespace {

using airtable::FieldType;

// The readers call bad JSON kDataLoss (a broken response); here it is one
// cell the loader rejects, so every failure becomes kInvalidArgument.
Status Reject(const Status& status) { return InvalidArgumentError(status.message()); }

// A cell is quoted in reasons only in part: attachment cells run to kilobytes.
std::string Shown(std::string_view cell_json) {
  return cell_json.size() <= 80 ? std::string(cell_json)
                                : std::string(cell_json.substr(0, 77)) + "...";
}

// Ids are checked by prefix only: their length and alphabet are observation,
// not contract (API.md §1.3).
bool HasPrefix(std::string_view id, std::string_view prefix) {
  return id.size() > prefix.size() && id.substr(0, prefix.size()) == prefix;
}

std::string Quoted(std::string_view text) { return "\"" + JsonEscape(text) + "\""; }

bool IsSingle(FieldType type) {
  return type == FieldType::kSingleCollaborator || type == FieldType::kCreatedBy ||
         type == FieldType::kLastModifiedBy;
}

bool IsNull(std::string_view json) {
  size_t first = json.find_first_not_of(" \t\r\n");
  size_t last = json.find_last_not_of(" \t\r\n");
  return first != std::string_view::npos && json.substr(first, last - first + 1) == "null";
}

Result<Collaborator> FromRead(const airtable::Collaborator& read, std::string_view cell_json) {
  if (read.id.empty()) {
    return InvalidArgumentError(fmt::format("collaborator without an id: {}", Shown(cell_json)));
  }
  if (!HasPrefix(read.id, "usr") && !HasPrefix(read.id, "ugp")) {
    return InvalidArgumentError(
        fmt::format("collaborator id \"{}\" is not a usr… or ugp… id", read.id));
  }
  Collaborator c{read.id, std::nullopt, std::nullopt};
  if (!read.email.empty()) c.email = read.email;
  if (!read.name.empty()) c.name = read.name;
  return c;
}

std::string OneCollaborator(const Collaborator& c) {
  std::string out = "{\"id\":" + Quoted(c.id);
  if (c.email) out += ",\"email\":" + Quoted(*c.email);
  if (c.name) out += ",\"name\":" + Quoted(*c.name);
  return out + "}";
}

// Width and height go to int columns of airpg.attachments.
Status CheckDimension(const std::optional<int64_t>& value, std::string_view what,
                      std::string_view id) {
  if (value && (*value < 0 || *value > INT_MAX)) {
    return InvalidArgumentError(fmt::format("attachment {} has {} {}", id, what, *value));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> ParseLinkCell(std::string_view cell_json) {
  Result<std::vector<std::string>> ids = airtable::ReadStrings(cell_json);
  if (!ids.ok()) {
    return InvalidArgumentError(
        fmt::format("a link cell is an array of record ids, not {}", Shown(cell_json)));
  }
  std::set<std::string_view> seen;
  for (const std::string& id : *ids) {
    if (!HasPrefix(id, "rec")) {
      return InvalidArgumentError(fmt::format("linked id \"{}\" is not a rec… id", id));
    }
    if (!seen.insert(id).second) {
      return InvalidArgumentError(fmt::format("links record {} twice", id));
    }
  }
  return ids;
}

std::string LinkCellJson(const std::vector<std::string>& record_ids) {
  std::string out = "[";
  for (size_t i = 0; i < record_ids.size(); ++i) out += (i ? "," : "") + Quoted(record_ids[i]);
  return out + "]";
}

Result<std::vector<Collaborator>> ParseCollaboratorCell(FieldType type,
                                                        std::string_view cell_json) {
  std::vector<Collaborator> out;
  if (IsSingle(type)) {
    if (IsNull(cell_json)) return out;  // what CollaboratorCellJson writes for none
    Result<airtable::Collaborator> read = airtable::ReadCollaborator(cell_json);
    if (!read.ok()) return Reject(read.status());
    AIRPG_ASSIGN_OR_RETURN(Collaborator c, FromRead(*read, cell_json));
    out.push_back(std::move(c));
    return out;
  }
  if (type != FieldType::kMultipleCollaborators) {
    return FailedPreconditionError(
        fmt::format("{} is not a collaborator field type", airtable::FieldTypeName(type)));
  }
  Result<std::vector<airtable::Collaborator>> read = airtable::ReadCollaborators(cell_json);
  if (!read.ok()) return Reject(read.status());
  std::set<std::string> seen;
  for (const airtable::Collaborator& one : *read) {
    AIRPG_ASSIGN_OR_RETURN(Collaborator c, FromRead(one, cell_json));
    if (!seen.insert(c.id).second) {
      return InvalidArgumentError(fmt::format("names collaborator {} twice", c.id));
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string CollaboratorCellJson(FieldType type, const std::vector<Collaborator>& collaborators) {
  if (IsSingle(type)) {
    return collaborators.empty() ? "null" : OneCollaborator(collaborators.front());
  }
  std::string out = "[";
  for (size_t i = 0; i < collaborators.size(); ++i) {
    out += (i ? "," : "") + OneCollaborator(collaborators[i]);
  }
  return out + "]";
}

Result<std::vector<Attachment>> ParseAttachmentCell(std::string_view cell_json) {
  Result<std::vector<Attachment>> read = airtable::ReadAttachments(cell_json);
  if (!read.ok()) return Reject(read.status());
  for (Attachment& a : *read) {
    if (!HasPrefix(a.id, "att")) {
      return InvalidArgumentError(
          fmt::format("attachment id \"{}\" is not an att… id: {}", a.id, Shown(cell_json)));
    }
    if (a.size < 0) {
      return InvalidArgumentError(fmt::format("attachment {} has size {}", a.id, a.size));
    }
    AIRPG_RETURN_IF_ERROR(CheckDimension(a.width, "width", a.id));
    AIRPG_RETURN_IF_ERROR(CheckDimension(a.height, "height", a.id));
    a.thumbnails.clear();  // derived by Airtable: never stored
  }
  return std::move(read).value();
}

std::string AttachmentCellJson(const std::vector<Attachment>& attachments) {
  std::string out = "[";
  for (size_t i = 0; i < attachments.size(); ++i) {
    const Attachment& a = attachments[i];
    out += (i ? ",{\"id\":" : "{\"id\":") + Quoted(a.id);
    if (a.width) out += fmt::format(",\"width\":{}", *a.width);
    if (a.height) out += fmt::format(",\"height\":{}", *a.height);
    if (!a.url.empty()) out += ",\"url\":" + Quoted(a.url);
    out += ",\"filename\":" + Quoted(a.filename);
    out += fmt::format(",\"size\":{}", a.size);
    if (!a.type.empty()) out += ",\"type\":" + Quoted(a.type);
    out += "}";
  }
  return out + "]";
}

}  // namespace airpg::mapping
