// InboundConflicts: the conflict rules at the inbound apply (issue 16). For a
// table Postgres may write, each field of a record Airtable changed is
// decided by ResolveFieldChange (conflicts.h) against its last synced value
// when Postgres also has a pending change of it (airpg.outbox), or always
// under authority `postgres`. Where Postgres keeps its value (it wins, or the
// field is parked) the record's cell is replaced by Postgres's before the
// apply, so the row keeps it; an Airtable edit under authority `postgres` is
// queued to be overwritten. After the apply, the values both sides now hold
// become the fields' base (airpg.field_sync_state).
// A field being resolved by `airpg conflicts resolve` (the transaction's
// airpg.resolving setting, "rec…/fld…") is left to that resolution.
// A stale read is never an Airtable edit: when a field's last synced value
// was recorded after the batch's records were read (ChangeBatch::read_from:
// an outbound write of airpg's, or its answer, landed meanwhile) and the read
// cell differs from it, the read may predate that write — the cell is
// airpg's own older value, not an edit. Postgres keeps its value and the base
// stays; the write's own payload comes later and is read afresh.
// A record with no row by its id whose `airpg key` names a Postgres-born row
// is that row when the outbox's create outcome (setting its airtable_id, not
// committed yet) commits: the keyed row is locked, which waits for it, and
// decided like any other — never merged into undecided by the apply's upsert.
// No network call. Single-thread, one per Apply.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "airtable/record.h"
#include "base/result.h"
#include "pg/transaction.h"
#include "sync/authority.h"
#include "sync/change_batch.h"
#include "sync/record_applier.h"

namespace airpg::sync {

class InboundConflicts {
 public:
  // Loads the base's authority matrix (one query). `read_from`: when the
  // batch's records were read (ChangeBatch::read_from; "" when unknown);
  // `sent_at`: when a proxied write left (ChangeBatch::sent_at).
  static Result<InboundConflicts> Load(pg::Transaction& tx, const LiveBase& base,
                                       std::string read_from = "", std::string sent_at = "");

  // The records to apply in place of `records` (the changes of `table`):
  // the same pointers where nothing is decided, else records this object
  // owns (valid while it lives) with Postgres's cells where Postgres keeps
  // its value.
  Result<std::vector<const airtable::Record*>> Decide(
      pg::Transaction& tx, const mapping::TablePlan& table, const TableChanges& changes,
      const std::vector<const airtable::Record*>& records);

  // After the apply: records the agreed values as the fields' base and
  // queues the fields Postgres overwrites in Airtable.
  Status Finish(pg::Transaction& tx);

  // The link cells (record id, field id) whose Airtable list won a conflict
  // over a pending Postgres change: the link writer drops their links to
  // Postgres-born rows too (link_writer.h).
  const std::set<std::pair<std::string, std::string>>& airtable_won() const {
    return airtable_won_;
  }

 private:
  InboundConflicts(const LiveBase& base, std::map<std::string, TableAuthority> authority)
      : base_(&base), authority_(std::move(authority)) {}

  const LiveBase* base_;
  std::map<std::string, TableAuthority> authority_;
  std::string resolving_;  // "rec…/fld…" of a resolution being applied
  std::string read_from_;  // when the batch was read; "" when unknown
  std::string sent_at_;    // when the proxied write answered here left; ""
  // Applying airpg's own write's answer (airpg.echo on): a field Postgres
  // changed again since the claim keeps Postgres's newer value.
  bool echo_ = false;
  std::deque<airtable::Record> owned_;
  // table id, record id, field id, value JSON
  std::vector<std::tuple<std::string, std::string, std::string, std::string>> agreed_;
  // table id, row id → columns to push (Postgres overwrites Airtable's edit)
  std::map<std::pair<std::string, int64_t>, std::vector<std::string>> overwrite_;
  std::set<std::pair<std::string, std::string>> airtable_won_;
};

}  // namespace airpg::sync
