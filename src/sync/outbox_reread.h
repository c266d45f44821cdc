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

struct RereadReport {
  int64_t requests = 0;   // list requests made
  int64_t conflicts = 0;  // fields decided as conflicts here
  int64_t held = 0;       // fields taken out of writes
  // Not OK when Airtable refused the token (401/403): the caller stops the
  // base's writes as it does for a refused write.
  Status refused;
};

// REQUIRES: every update is of `table`, whose authority is postgres or both.
// A failed read defers that batch's records (their changes are given back by
// the caller); a refused token ends the re-read (RereadReport::refused).
// Only a database failure is an error.
Result<RereadReport> RereadBeforeUpdate(airtable::Client& client, pg::Connection& conn,
                                        const LiveBase& base, const mapping::TablePlan& table,
                                        const TableAuthority& authority,
                                        std::vector<RereadUpdate>& updates);

// After a write Airtable accepted (in its outcome transaction): the cells
// it answered for the fields sent become their last synced values — both
// sides held them when the write was built, whatever Postgres did since.
Status RecordSentValues(pg::Transaction& tx, const LiveBase& base, const mapping::TablePlan& table,
                        const airtable::RecordWrite& write, const airtable::Record& answer);

}  // namespace airpg::sync
