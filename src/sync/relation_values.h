// Relation values: a link or collaborator field's value in Postgres as the
// whole ordered list the three-way rules compare (canonical_cells.h
// RelationCell form) — now, and before the pending outbox changes of a row
// (the value both sides held when a field was never synced since the
// migration) — and back as a cell in Airtable's format, for the inbound apply
// to keep Postgres's value. Used by inbound_conflicts.h and outbox_reread.h.
// Functions over the caller's connection; single-thread per connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"
#include "sync/record_applier.h"

namespace airpg::sync {

// A SQL expression (over the table's row alias `row`) giving the field's
// value now as JSON text: ["rec…",…] for links, "usr…" or ["usr…",…] for
// collaborators; NULL when empty. REQUIRES: IsRelationField(f).
std::string RelationValueSql(const LiveBase& base, const mapping::FieldPlan& f,
                             std::string_view row);

// The field's value (canonical) before the first of the row's changes
// `outbox_ids` that touched it; nullopt when none of them did.
Result<std::optional<std::string>> RelationBefore(pg::Connection& conn, const LiveBase& base,
                                                  const mapping::FieldPlan& f, int64_t row_id,
                                                  const std::vector<int64_t>& outbox_ids);

// A canonical relation value as an Airtable cell: the ids for links; for
// collaborators objects with the id, email and name airpg.users holds (the
// apply records them, so they must not go blank). "null" stays "null".
Result<std::string> RelationAirtableCell(pg::Connection& conn, const mapping::FieldPlan& f,
                                         const std::string& canonical);

}  // namespace airpg::sync
