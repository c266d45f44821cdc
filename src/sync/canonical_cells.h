// Canonical cells: one form for a field's value whichever side it comes from,
// so the three-way rules (conflict_rules.h) compare Airtable's cell, the
// Postgres row and the last synced value alike. Airtable omits false and
// empty cells and Postgres keeps a numeric's scale, so both become one text:
// "null" for empty. Relations are compared as their whole ordered list:
// links as the array of record ids, collaborators as the user id (single) or
// the array of user ids (multiple). Used by the inbound apply
// (inbound_conflicts.h) and the outbound re-read (outbox_reread.h).
// Pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mapping/schema_plan.h"

namespace airpg::sync {

// Whether the field is decided per field by the three-way rules: a writable
// column (scalars, selects), a link (foreign key or junction, not the
// inverse side of a junction) or a collaborator field. Attachments are not
// written back, computed fields never.
bool DecidedPerField(const mapping::FieldPlan& f);

// Whether the field's value is a relation (link or collaborator), compared
// as a list (RelationCell) rather than through its column.
bool IsRelationField(const mapping::FieldPlan& f);

// A column value as Postgres prints it (text output; arrays as {…}).
std::string CanonicalColumnText(const mapping::FieldPlan& f, std::optional<std::string_view> text);

// A column value as to_jsonb prints it (a row's or an outbox row's JSON).
std::string CanonicalColumnJson(const mapping::FieldPlan& f,
                                const std::optional<std::string>& json_text);

// Airtable's cell (with returnFieldsByFieldId; nullopt when absent). Column
// fields go through the column value they map to, so the form equals
// CanonicalColumnText's; relations through RelationCell.
std::string CanonicalAirtableCell(const mapping::FieldPlan& f,
                                  std::optional<std::string_view> cell);

// A relation cell in Airtable's read or write format (["rec…"], {"id":"usr…"},
// [{"id":"usr…",…}]) as its ids: ["rec1","rec2"], "usr1", ["usr1"]; "null"
// when empty.
std::string RelationCell(const mapping::FieldPlan& f, std::optional<std::string_view> cell);

}  // namespace airpg::sync
