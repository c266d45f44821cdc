// StaleReads: which records a read of Airtable lists that were deleted after
// the read began, so its copy is older than the delete and must not bring
// the row back (issue 16: a record deleted, revived by an older poll, list
// or read-before-write, then deleted again — "inserted twice").
//
// A delete is remembered where it already is, with the time it took effect:
//  - deleted in Airtable: the row's tombstone (deleted_at), applied at
//    airpg_synced_at by the inbound apply;
//  - deleted in Postgres, hard or soft: its outbox change, pending until it
//    reaches Airtable and then done at done_at.
// A read began at `read_from` (ChangeBatch::read_from, Postgres's clock). A
// delete applied at or after that time may postdate the read's copy: the
// copy is stale. A delete applied before it is older than the read: a record
// the read still lists was brought back in Airtable, and its row comes back.
// A read of unknown time ("") never brings a deleted record back; a later
// read that knows its time does. Runs in the caller's transaction.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "mapping/schema_plan.h"
#include "pg/transaction.h"

namespace airpg::sync {

// The ids among `record_ids` of `table` whose delete the read that began at
// `read_from` may predate.
Result<std::set<std::string, std::less<>>> DeletedSinceRead(
    pg::Transaction& tx, std::string_view schema, const mapping::TablePlan& table,
    const std::vector<std::string>& record_ids, std::string_view read_from);

}  // namespace airpg::sync
