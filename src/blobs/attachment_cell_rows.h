// The rows of ONE attachment cell, changed one way or another: serve's
// edits of a cell (removed, reordered, a file added by URL), the outbox's
// records of what Airtable answered or what a conflict rule decided, and the
// move of a cell from a row's placeholder to its rec id. Part of the one
// writer of airpg.attachments (attachment_rows.h writes whole cells,
// schemas and fields). Each runs in the caller's transaction (the caller
// sets airpg.origin) and never touches the network. Stateless; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "pg/connection.h"

namespace airpg::blobs {

// The cell: record (Airtable's id, a reserved one or a row placeholder) and
// field of a mirrored schema.
struct CellKey {
  std::string schema;
  std::string record_id;
  std::string field_id;
};

// Serve's edits (api/attachment_cells.h). Deletes the rows at `positions`.
Status DeleteAttachmentsAt(pg::Connection& conn, const CellKey& cell,
                           const std::vector<int>& positions);
// Moves each row at `first` to position `second` (out of the way first:
// positions are part of the primary key).
Status MoveAttachments(pg::Connection& conn, const CellKey& cell,
                       const std::vector<std::pair<int, int>>& moves);
// A file added by URL: a row without bytes or Airtable id, under serve's
// reserved att… id, whose bytes attachment_urls.h downloads later.
Status AddUrlAttachment(pg::Connection& conn, const CellKey& cell, const std::string& table_id,
                        int position, const std::string& filename, const std::string& url,
                        const std::string& reserved_id);

// The outbox's records (sync/outbox_attachments.h). Airtable's cell won:
// every row whose Airtable id is not among `airtable_ids` goes, pending ones
// (no id yet) too.
Status KeepOnlyAttachments(pg::Connection& conn, const CellKey& cell,
                           const std::vector<std::string>& airtable_ids);
// Postgres's cell won: rows with an Airtable id not in `own` go, and rows
// whose id Airtable no longer holds (`airtable_ids`) become pending again.
Status PutBackAttachments(pg::Connection& conn, const CellKey& cell,
                          const std::vector<std::string>& own,
                          const std::vector<std::string>& airtable_ids);
// The pending row at `position` is Airtable's `attachment_id` now; if the
// webhook echo already brought that attachment as a row of its own, the
// pending row goes instead.
Status RecordSentAttachment(pg::Connection& conn, const CellKey& cell, int position,
                            const std::string& attachment_id);

// A row's placeholder cell (sync/attachment_record_ids.h). The rows of the
// cell of a row that is gone.
Status DeleteCellAttachments(pg::Connection& conn, const CellKey& cell,
                             const std::string& table_id);
// The cell's rows move to `record_id`, after whatever that cell holds.
Status MoveCellAttachments(pg::Connection& conn, const CellKey& cell, const std::string& table_id,
                           const std::string& record_id);

}  // namespace airpg::blobs
