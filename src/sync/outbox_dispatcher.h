// OutboxDispatcher: the outbound half of two-way sync. Each RunOnce is a
// recipe of short steps, none holding a Postgres transaction across a
// network call: claim due changes with a lease (outbox_store.h) → read the
// rows they belong to → coalesce them per record into one create (an upsert
// merged on the hidden `airpg key` field), update or delete → send them in
// requests of 10 per table through the client's pacer → record every
// record's outcome in its own short transaction (Airtable ids written back,
// changes done, dead-lettered or rescheduled). docs/two-way-sync.md
// explains why a crash anywhere in between never duplicates a record.
// Single-thread; several dispatchers (threads, processes) may share a base.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "airtable/client.h"
#include "base/result.h"
#include "pg/connection.h"
#include "sync/authority.h"
#include "sync/outbox_store.h"
#include "sync/record_applier.h"

namespace airpg::sync {

// The error type of the deletes the mass-delete breaker holds (docs/errors.md).
inline constexpr std::string_view kMassDeleteHeld = "MASS_DELETE_HELD";

// The name of the field airpg adds to every table Postgres writes.
inline constexpr std::string_view kKeyFieldName = "airpg key";

struct DispatchOptions {
  ClaimOptions claim;
  // A link whose target has no Airtable id yet is sent again this much later.
  std::chrono::milliseconds link_wait{300};
  // Transient failures wait from this, doubling per attempt, up to a minute.
  std::chrono::milliseconds retry_initial{500};
  // Mass-delete breaker: more deletes of one table in one round than this
  // share of its live rows (and more than min_held_deletes, sync's
  // setting of the same name) are held as dead letters (error type
  // MASS_DELETE_HELD) until an operator replays them, which releases them.
  double max_delete_share = 0.20;
  int64_t min_held_deletes = 10;
  // A custom conflict seam: called for each update of a table Postgres
  // writes before it is sent, it may take fields out of `write`. Unset: the
  // three-way rules hold back parked fields and fields already in sync
  // (conflicts.h FieldsHeldBack), then decide the rest against Airtable's
  // current cells, read once per batch (outbox_reread.h).
  std::function<Status(const TableAuthority& table, int64_t row_id, airtable::RecordWrite& write)>
      resolve_conflicts;
};

struct DispatchReport {
  int64_t claimed = 0;  // outbox rows claimed
  int64_t created = 0, updated = 0, deleted = 0;
  int64_t dead = 0;           // changes dead-lettered
  int64_t rescheduled = 0;    // changes given back for later
  int64_t requests = 0;       // write requests sent
  int64_t reads = 0;          // list requests reading records before updates (outbox_reread.h)
  int64_t reads_skipped = 0;  // updated records not read: nothing to find (outbox_reread.h)
  int64_t resolutions = 0;    // resolved conflicts applied to their losing side
  // Updates of records Airtable had deleted, decided by the rule (deleted_records.h).
  int64_t deleted_conflicts = 0;
};

class OutboxDispatcher {
 public:
  // `conn` is the dispatcher's own connection.
  OutboxDispatcher(airtable::Client& client, pg::Connection& conn, std::string base_id,
                   DispatchOptions options);

  // One round. kPermissionDenied / kUnauthenticated when Airtable refused
  // the token: the base's writes are stopped (airpg.sync_bases.writes_stopped)
  // and later rounds return kFailedPrecondition until the sync starts again.
  Result<DispatchReport> RunOnce();

 private:
  class Round;
  // The `airpg key` field of a table: found in the plan or created.
  Result<std::string> KeyField(const mapping::TablePlan& table);

  airtable::Client& client_;
  pg::Connection& conn_;
  std::string base_id_;
  DispatchOptions options_;
  std::map<std::string, std::string> key_fields_;  // table id → fld… id
};

// Clears a base's stopped writes (at sync start: the operator fixed the token).
Status ResumeWrites(pg::Connection& conn, const std::string& base_id);

}  // namespace airpg::sync
