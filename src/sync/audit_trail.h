// AuditTrail: two-way sync's entries in airpg.audit_log (catalog v1, v10),
// beside the row writes the audit trigger records. A conflict and a
// resolution are rows of their own (operation CONFLICT | RESOLVE, with the
// field, rule, values and outcome in `detail`); a push marks the audit rows
// of the Postgres writes whose changes it sent (pushed_at, pushed_record),
// so one Postgres update is one audit row. The origin says which side's
// change it was: 'postgres' or 'airtable'. Functions over the caller's
// connection or transaction; single-thread per connection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"
#include "pg/transaction.h"

namespace airpg::sync {

struct AuditEntry {
  std::string table_id;   // tbl… of the mirrored table
  std::string record_id;  // rec…
  std::string operation;  // CONFLICT | RESOLVE
  std::string origin;     // postgres | airtable
  std::string detail_json;
};

// Writes one entry (in the caller's transaction when `conn` is in one).
Status WriteAuditEntry(pg::Connection& conn, const AuditEntry& entry);

// Marks the audit rows of the writes that queued `outbox_ids` as pushed to
// Airtable as `record_id` (in the push's outcome transaction).
Status MarkPushed(pg::Transaction& tx, const std::vector<int64_t>& outbox_ids,
                  const std::string& record_id);

// A row of the audit log as `airpg audit` shows it. Times ISO 8601.
struct AuditRow {
  int64_t audit_id = 0;
  std::string at, schema_name, table_name, operation, origin;
  std::string airtable_id;    // "" when none
  std::string changed;        // changed columns, comma-separated
  std::string detail;         // JSON, "" when none
  std::string pushed_at;      // "" when not pushed
  std::string pushed_record;  // "" when not pushed
};

// Newest first. `table` is a Postgres table name or "" for all; `since` an
// ISO 8601 time or "" for all.
Result<std::vector<AuditRow>> ReadAudit(pg::Connection& conn, const std::string& table,
                                        const std::string& since, int limit);

}  // namespace airpg::sync
