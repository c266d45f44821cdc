// Attachments added in Postgres to a row Postgres created and has not pushed
// yet (airpg.add_attachment with the row's id, catalog_v16.sql) wait under
// the record id "row:<id>". Once the outbox has created the record, the
// attachment step moves them — rows and queued cell — to its rec id, then
// sends them like any other (outbox_attachments.h). One short transaction,
// under origin 'airtable' (bookkeeping, not a change to send). Single-thread.
#pragma once

#include <string>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::sync {

inline constexpr char kRowRecordPrefix[] = "row:";

// Whether `record_id` names a row not pushed yet ("row:<id>").
bool IsRowRecordId(const std::string& record_id);

enum class RowRecordState {
  kWaiting,  // the row has no rec id yet: look again later
  kGone,     // the row was deleted before it reached Airtable: its attachments went too
  kMerged,   // the cell of the rec id was queued already: it now carries these
  kMoved,    // now under `*record_id`
};

// REQUIRES: IsRowRecordId(*record_id). On kMoved, `*record_id` is the rec id.
Result<RowRecordState> MoveToRecordId(pg::Connection& conn, const std::string& schema,
                                      const std::string& table_id, const std::string& field_id,
                                      std::string* record_id);

}  // namespace airpg::sync
