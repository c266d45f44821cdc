// The delete sweep of one table: list every record id Airtable has (only the
// primary field is asked for, 100 ids per request) and tombstone the live
// rows Airtable no longer has — the deletes a webhook missed. Rows synced
// after the listing began are left alone (a record created meanwhile is not
// in the listing but is not deleted either). A sweep that would tombstone
// more than `max_share` of the table AND more than `min_held` rows is held
// instead (the share alone would hold 1 of 3): nothing is applied,
// airpg.sync_tables.held_deletes and a 'delete_held' event say how many, a
// warning names the command that applies it, and an operator decides (a
// wrong API token scope or a filtered view can look like a mass delete):
// `airpg sync release-deletes TABLE` runs ReleaseHeldDeletes. Single-thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "airtable/client.h"
#include "base/result.h"
#include "pg/connection.h"
#include "sync/record_applier.h"

namespace airpg::sync {

struct SweepOptions {
  double max_share = 0.20;
  int64_t min_held = 10;  // a sweep of this many deletes or fewer is never held
  bool release = false;   // apply whatever the share (the operator released it)
  airtable::Priority priority = airtable::Priority::kBackfill;
};

struct SweepResult {
  int64_t listed = 0;   // ids Airtable has
  int64_t live = 0;     // live rows compared
  int64_t missing = 0;  // live rows Airtable does not have
  int64_t requests = 0;
  // missing / live > max_share and missing > min_held: nothing applied
  bool held = false;
  ApplyStats applied;
};

Result<SweepResult> SweepTable(airtable::Client& client, pg::Connection& conn,
                               RecordApplier& applier, const LiveBase& base,
                               const std::string& table_id, const SweepOptions& options = {});

// A table's held sweep, as airpg.sync_tables.held_deletes records it.
struct HeldDeletes {
  std::string table_id;
  std::string table_name;  // the Postgres table
  int64_t missing = 0;     // rows the sweep would have tombstoned
  int64_t live = 0;        // of this many live rows
  std::string held_at;     // ISO 8601 with offset
};

// The base's held sweeps, by table name.
Result<std::vector<HeldDeletes>> ListHeldDeletes(pg::Connection& conn, const std::string& base_id);

// Applies the held sweep of `table` (a tbl… id, Airtable name or Postgres
// name): the table is swept again now (Airtable listed afresh, so a record
// that came back is kept) with the guard off, and a 'deletes_released' event
// records it. kInvalidArgument when the base has no such table (naming its
// tables) or the table has no held sweep (naming those that have one).
// REQUIRES: no transaction is open on `conn`.
Result<SweepResult> ReleaseHeldDeletes(airtable::Client& client, pg::Connection& conn,
                                       RecordApplier& applier, const LiveBase& base,
                                       const std::string& table, SweepOptions options = {});

}  // namespace airpg::sync
