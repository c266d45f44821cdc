// The queue of attachment cells Postgres changed (airpg.attachment_outbox,
// catalog_v9/v17.sql), its one owner: the attachment step's leases and
// outcomes (outbox_attachments.h), and what `airpg status` and `airpg dlq …
// --outbox` see — its depth per table, the dead cells (a file Airtable
// refused, or too large with no URL to offer), and their replay, which makes
// them pending again for the running sync. Functions over the caller's
// connection; single-thread per connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::sync {

// One claimed cell.
struct QueuedCell {
  std::string table_id, record_id, field_id, schema;
  std::vector<std::string> removed_ids;  // att… ids deleted in Postgres
  std::vector<std::string> base_ids;     // att… ids both sides held (the conflict base)
  std::string changed_at;                // as claimed: a later change keeps the cell queued
  int attempts = 0;
};

// Leases up to `max_cells` due cells of the base to `owner` for `lease`,
// counting one more attempt each (FOR UPDATE SKIP LOCKED: processes share).
Result<std::vector<QueuedCell>> ClaimAttachmentCells(pg::Connection& conn,
                                                     const std::string& base_id,
                                                     const std::string& owner, int max_cells,
                                                     std::chrono::milliseconds lease);

// Done: the cell leaves the queue, unless it changed again since the claim.
Status CompleteAttachmentCell(pg::Connection& conn, const QueuedCell& cell);

// Looked at again `wait` later, and not a failure: a row not pushed yet, a
// cell parked in a conflict.
Status DeferAttachmentCell(pg::Connection& conn, const QueuedCell& cell,
                           std::chrono::milliseconds wait);

// A failure, with why: 'dead' (until replayed), or tried again `retry` later.
Status FailAttachmentCell(pg::Connection& conn, const QueuedCell& cell, const std::string& error,
                          bool dead, std::chrono::milliseconds retry);

// Pending attachment cells of a base (status, tests).
Result<int64_t> PendingAttachmentCells(pg::Connection& conn, const std::string& base_id);

// Queued attachment cells of one table: pending, and dead (`airpg status`).
struct AttachmentQueueDepth {
  int64_t pending = 0, dead = 0;
};
Result<AttachmentQueueDepth> ReadAttachmentQueueDepth(pg::Connection& conn,
                                                      const std::string& table_id);

// A dead attachment cell (`airpg dlq list --outbox`): its id (from the
// outbox's sequence: never a row change's), the cell, and why.
struct DeadAttachmentCell {
  int64_t id = 0;
  std::string table_id, record_id, field_id, reason;
};
Result<std::vector<DeadAttachmentCell>> ListDeadAttachmentCells(pg::Connection& conn,
                                                                const std::string& base_id);

// Makes the dead cells `ids` (every dead cell of the base when empty)
// pending again for the running sync (`airpg dlq replay --outbox`); ids
// that are no dead cell are ignored. Returns how many.
Result<int64_t> ReplayDeadAttachmentCells(pg::Connection& conn, const std::string& base_id,
                                          const std::vector<int64_t>& ids);

}  // namespace airpg::sync
