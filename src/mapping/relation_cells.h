// Cells of the relation-stored field types (links, collaborators,
// attachments): the migrate loader parses Airtable's REST cell into ids and
// rows; the verifier rebuilds the REST read form from those rows. A cell of
// the wrong shape is kInvalidArgument with a reason for the rejects ledger.
// Column-stored fields are cell_value.h's job. Pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "airtable/field_type.h"
#include "base/attachment.h"
#include "base/result.h"

namespace airpg::mapping {

// multipleRecordLinks: the linked record ids in cell order. The same record
// twice is rejected (the junction holds one row per pair; Airtable keeps a
// link once).
Result<std::vector<std::string>> ParseLinkCell(std::string_view cell_json);
// ["rec…",…]; "[]" for no links (Airtable omits that cell instead).
std::string LinkCellJson(const std::vector<std::string>& record_ids);

struct Collaborator {
  std::string id;  // usr… or ugp… (a user group)
  std::optional<std::string> email;
  std::optional<std::string> name;  // missing for users without an account
};

// singleCollaborator, createdBy, lastModifiedBy: one object; multiple-
// Collaborators: an array of them (no id twice). An empty email or name
// reads as missing. Any other field type is kFailedPrecondition (a caller
// bug, not a bad cell).
Result<std::vector<Collaborator>> ParseCollaboratorCell(airtable::FieldType type,
                                                        std::string_view cell_json);
// The REST read form: an object (the first collaborator; "null" when there
// is none) or an array; keys id, email, name, each omitted when missing.
std::string CollaboratorCellJson(airtable::FieldType type,
                                 const std::vector<Collaborator>& collaborators);

// multipleAttachments, in cell order (airpg::Attachment, base/attachment.h);
// thumbnails are dropped. airtable::ReadAttachments cannot tell an absent
// size from 0, so a parsed attachment always has one (0 when Airtable sent
// none). A width or height outside int is rejected (the column is int).
Result<std::vector<Attachment>> ParseAttachmentCell(std::string_view cell_json);
// The REST read form in Airtable's key order (id, width, height, url,
// filename, size, type); url, type and the optionals omitted when empty,
// thumbnails never.
std::string AttachmentCellJson(const std::vector<Attachment>& attachments);

}  // namespace airpg::mapping
