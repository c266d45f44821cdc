// DeletedRecords: a Postgres change of a record that Airtable deleted (issue
// 16). The dispatcher learns it from the answer to its update (422
// ROW_DOES_NOT_EXIST for a batch update or upsert, 404 where a deployment
// answers so): it is a delete-vs-update conflict of the whole record, decided
// by the table's rule as DecideField decides a field (Airtable's side is the
// delete, at the webhook payload's time when the inbound side learnt it from
// one, else at the time airpg saw it; Postgres's side the row as changed, at
// its outbox commit time):
//  - Airtable wins (airtable_wins; latest with the delete newer): the row is
//    tombstoned as the inbound delete does (its links go too);
//  - Postgres wins (postgres_wins, authority postgres; latest with the
//    Postgres change newer): the row loses its Airtable id and is queued as
//    a create (with its airpg key, so exactly once), and the rows linking to
//    it are queued again, so their links point at the new record once it has
//    its id (links to rows without an id wait, as for any create);
//  - manual: parked in airpg.conflicts (field "" = the whole record,
//    airtable_value {"deleted":true}, postgres_value the cells the update
//    sent); `airpg conflicts resolve` then tombstones or recreates it
//    (ApplyRecordResolution; a value of the operator's counts as postgres).
// Every decision is a conflicts row, a 'conflict' sync event and a CONFLICT
// audit entry (origin postgres). A record's conflict is decided once: the
// inbound apply (an Airtable delete arriving while the update is pending or
// in flight, DecidePendingUpdates) and the dispatcher (the update's 422)
// both lock the live row before deciding, and whichever comes second finds
// the first's decision and keeps it. Runs in the caller's transaction, no
// network call; single-thread.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "pg/transaction.h"
#include "sync/authority.h"
#include "sync/change_batch.h"
#include "sync/conflict_rules.h"
#include "sync/conflicts.h"
#include "sync/record_applier.h"

namespace airpg::sync {

// The airtable_value of a whole-record conflict: Airtable deleted it.
inline constexpr const char* kDeletedInAirtable = R"({"deleted":true})";

struct DeletedRecordChange {
  const mapping::TablePlan* table = nullptr;
  int64_t row_id = 0;
  std::string record_id;       // the id Airtable no longer has
  std::string postgres_cells;  // JSON object: field id → the cell the update sent
  // Airtable's time of the delete when a webhook payload said it (its
  // `timestamp`), else when airpg saw the record gone.
  SyncTime deleted_at{};
  SyncTime postgres_committed{};
};

enum class DeletedRecordOutcome { kTombstoned, kRecreated, kParked };

Result<DeletedRecordOutcome> ResolveDeletedRecord(pg::Transaction& tx, const LiveBase& base,
                                                  const TableAuthority& authority,
                                                  const DeletedRecordChange& change);

// Locks the live rows of the records `batch` destroyed, in id order, as
// ResolveDeletedRecord locks the row it decides: the inbound apply takes
// them first in its transaction, so it and the dispatcher's answer to an
// update decide a record one after the other and never wait on each other
// in the other order.
Status LockDestroyedRows(pg::Transaction& tx, const LiveBase& base, const ChangeBatch& batch);

// The inbound side of the same conflict: of `changes.destroyed` (records
// Airtable deleted, about to be tombstoned), those whose live row has a
// Postgres change pending in the outbox (not a delete; claimed by a
// dispatcher or not: a claimed change stays pending until its outcome) are
// decided here by the table's rule (Postgres's side: the row, at the
// change's commit; the delete at `changes.destroyed_at` when a payload said
// it, else when airpg saw it); the others are returned, to tombstone.
Result<std::vector<std::string>> DecidePendingUpdates(pg::Transaction& tx, const LiveBase& base,
                                                      const mapping::TablePlan& table,
                                                      const TableChanges& changes);

// Applies a resolved whole-record conflict (field_id "") to Postgres: taking
// Airtable tombstones the row; taking Postgres (or a value) queues it to be
// created again. Marks it applied.
Status ApplyRecordResolution(pg::Transaction& tx, const LiveBase& base, const Conflict& resolved);

}  // namespace airpg::sync
