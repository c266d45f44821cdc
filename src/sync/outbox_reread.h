// OutboxReread: the outbound half's read before write (issue 16). Before the
// dispatcher sends updates of a table Postgres writes, it reads the records'
// current cells from Airtable — one list request per page of up to 100
// records (filterByFormula OR(RECORD_ID()=…), only the fields to send, through the
// pacer, no transaction open) — and decides each field three-way
// (conflicts.h ResolveFieldChange) against its last synced value. An
// Airtable edit the inbound sync has not applied yet is then never
// overwritten silently: it becomes the conflict the rule says, and a field
// Airtable keeps (or that is parked, or already holds the value) is taken
// out of the write. Single-thread (one dispatcher round).
//
// The read is skipped for a record when it cannot find anything Postgres has
// not applied (InboundState, below): the read spends a request of the base's
// budget per 100 records — a tenth of the writes — and decides nothing when
// Airtable has no edit of the record that the inbound sync has not applied.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "airtable/client.h"
#include "base/result.h"
#include "pg/connection.h"
#include "pg/transaction.h"
#include "sync/authority.h"
#include "sync/record_applier.h"

namespace airpg::sync {

// One record's update as the dispatcher built it.
struct RereadUpdate {
  int64_t row_id = 0;
  std::string record_id;
  const nlohmann::json* row = nullptr;     // the row now (to_jsonb); borrowed
  std::vector<int64_t> outbox_ids;         // its claimed changes
  airtable::RecordWrite* write = nullptr;  // borrowed; fields Airtable keeps are erased
  // Set when Airtable could not be read: nothing is sent for the record now.
  bool deferred = false;
  std::string deferred_reason;
};

// What the inbound sync has applied of the base's webhook payloads
// (airpg.sync_bases), read before the round reads its rows. Invariant that
// makes a skipped read safe, for a record R whose claimed changes were
// committed from first_at to last_at:
//  1. the payload cycle listed the hook's payloads up to the end at
//     `listed_at` > last_at and applied every one (cursor moved, or nothing
//     new): every Airtable edit made before listed_at is in Postgres, and one
//     made after first_at was decided by the inbound conflict rules while R's
//     changes were pending (inbound_conflicts.h);
//  2. no ping has arrived since listed_at (`last_ping_at`): Airtable has
//     told of no payload that listing did not see;
//  3. that state is the same at the read as before the round read its rows
//     (no cycle applied and no ping arrived in between), so the rows the
//     writes were built from hold whatever those decisions applied;
//  4. nothing was recorded for R since first_at (a field's synced value, a
//     conflict): no payload since R's change named it.
// Then a read could only find the fields' last synced values (the write
// goes unchanged) or the values being sent (the write changes nothing). An
// edit made after listed_at whose ping has not arrived yet is not seen, as an
// edit made after a read is not seen by that read. Assumed: Airtable lists a
// payload by the time it pings for it, and the receiver's clock (last_ping_at)
// is in step with Postgres's (listed_at), as `latest` already assumes.
struct InboundState {
  bool known = false;     // the base has a webhook row
  std::string listed_at;  // "" when no complete listing is recorded
  std::string last_ping_at;
  int64_t cursor = 0;
  bool operator==(const InboundState&) const = default;
};
Result<InboundState> ReadInboundState(pg::Connection& conn, const std::string& base_id);

struct RereadReport {
  int64_t requests = 0;   // list requests made
  int64_t skipped = 0;    // records not read: InboundState's invariant held
  int64_t conflicts = 0;  // fields decided as conflicts here
  int64_t held = 0;       // fields taken out of writes
  // Not OK when Airtable refused the token (401/403): the caller stops the
  // base's writes as it does for a refused write.
  Status refused;
};

// REQUIRES: every update is of `table`, whose authority is postgres or both.
// `before_rows`: the inbound state read before the updates' rows were read
// (null: every record is read). A failed read defers that batch's records
// (their changes are given back by the caller); a refused token ends the
// re-read (RereadReport::refused). Only a database failure is an error.
Result<RereadReport> RereadBeforeUpdate(airtable::Client& client, pg::Connection& conn,
                                        const LiveBase& base, const mapping::TablePlan& table,
                                        const TableAuthority& authority,
                                        std::vector<RereadUpdate>& updates,
                                        const InboundState* before_rows = nullptr);

// After a write Airtable accepted (in its outcome transaction): the cells
// it answered for the fields sent become their last synced values — both
// sides held them when the write was built, whatever Postgres did since.
Status RecordSentValues(pg::Transaction& tx, const LiveBase& base, const mapping::TablePlan& table,
                        const airtable::RecordWrite& write, const airtable::Record& answer);

}  // namespace airpg::sync
