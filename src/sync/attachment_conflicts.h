// The conflict rules for an attachment cell (issue 16): decided per field
// like every other field, three-way against the attachment ids both sides
// held when Postgres first changed the cell (airpg.attachment_outbox.base_ids,
// catalog_v16.sql). Airtable "changed" the cell when its ids differ from the
// base as a set (a reorder alone is not an edit); Postgres changed it when it
// queued the cell. The values recorded in airpg.conflicts are the sorted ids,
// with each Postgres file not in Airtable yet as {"filename", "size"}.
// Used by the attachment step of the outbound sync (outbox_attachments.h);
// functions over the caller's connection or transaction; single-thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"
#include "pg/transaction.h"
#include "sync/conflict_rules.h"

namespace airpg::sync {

// One attachment cell as both sides have it when it is sent.
struct AttachmentCellVersions {
  std::string base_id, table_id, record_id, field_id;
  std::vector<std::string> airtable_ids;                 // Airtable's cell now
  std::vector<std::string> base_ids;                     // both sides held them (the base)
  std::vector<std::string> removed_ids;                  // deleted in Postgres since
  std::vector<std::pair<std::string, int64_t>> pending;  // Postgres's new files: name, size
  std::string changed_at;                                // Postgres's last change (timestamptz)
};

// Whether Airtable's ids differ from the base.
bool AirtableChangedCell(const AttachmentCellVersions& cell);

// Decides a cell both sides changed with the field's rule
// (ResolveFieldChange: the conflict is recorded, or parked under `manual`).
// Airtable's edit is timed at this call (the record's modification time is
// not the cell's), so under `latest` a Postgres change made before the send
// loses to an edit Airtable holds now.
Result<FieldDecision> DecideAttachmentCell(pg::Transaction& tx, const AttachmentCellVersions& cell,
                                           const FieldPolicy& policy);

// The newest conflict of a cell that still holds it back: open (parked), or
// resolved by an operator and not applied yet (which side won).
struct HeldCell {
  int64_t conflict_id = 0;
  bool open = false;
  std::optional<FieldAction> resolution;  // kToPostgres (Airtable's) or kToAirtable
};
Result<std::optional<HeldCell>> FindHeldCell(pg::Connection& conn, const std::string& table_id,
                                             const std::string& record_id,
                                             const std::string& field_id);

}  // namespace airpg::sync
