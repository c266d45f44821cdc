// The delete sweep of one table: list every record id Airtable has (only the
// primary field is asked for, 100 ids per request) and tombstone the live
// rows Airtable no longer has — the deletes a webhook missed. Rows synced
// after the listing began are left alone (a record created meanwhile is not
// in the listing but is not deleted either). A sweep that would tombstone
// more than `max_share` of the table is held instead: nothing is applied,
// airpg.sync_tables.held_deletes and a 'delete_held' event say how many, and
// an operator decides (a wrong API token scope or a filtered view can look
// like a mass delete). Single-thread.
#pragma once

#include <cstdint>
#include <string>

#include "airtable/client.h"
#include "base/result.h"
#include "pg/connection.h"
#include "sync/record_applier.h"

namespace airpg::sync {

struct SweepOptions {
  double max_share = 0.20;
  airtable::Priority priority = airtable::Priority::kBackfill;
};

struct SweepResult {
  int64_t listed = 0;   // ids Airtable has
  int64_t live = 0;     // live rows compared
  int64_t missing = 0;  // live rows Airtable does not have
  int64_t requests = 0;
  bool held = false;  // missing / live > max_share: nothing applied
  ApplyStats applied;
};

Result<SweepResult> SweepTable(airtable::Client& client, pg::Connection& conn,
                               RecordApplier& applier, const LiveBase& base,
                               const std::string& table_id, const SweepOptions& options = {});

}  // namespace airpg::sync
