// The queue of attachment cells Postgres changed (airpg.attachment_outbox,
// catalog_v9/v17.sql) as `airpg status` and `airpg dlq … --outbox` see it:
// its depth per table, the dead cells (a file Airtable refused, or too large
// with no URL to offer), and their replay, which makes them pending again
// for the running sync's attachment step (outbox_attachments.h). Functions
// over the caller's connection; single-thread per connection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::sync {

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
