// OutboxBacklog: how far the outbox has got with one table's Postgres writes,
// read by `airpg serve` before it hands a request for that table to Airtable
// (api/route_handover.h): a write acknowledged from Postgres must be in
// Airtable before Airtable answers for the table. airpg.outbox is written by
// sync/outbox_store; these two reads live in pg/ because api/ may not use
// sync/. Format: docs/two-way-sync.md. Functions over the caller's
// connection; single-thread.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::pg {

// The newest change of the table still waiting to be sent (its outbox_id),
// 0 when none waits.
Result<int64_t> LastPendingChange(Connection& conn, const std::string& table_id);

// Whether any change of the table up to `last` (an outbox_id) still waits.
// Changes sent, dead-lettered or dropped no longer wait.
Result<bool> PendingThrough(Connection& conn, const std::string& table_id, int64_t last);

}  // namespace airpg::pg
