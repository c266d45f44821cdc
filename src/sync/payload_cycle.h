// One webhook cycle of a base: read the payloads after the stored cursor,
// collect the records they name (created, changed, destroyed, per table),
// read those records whole (≤ 100 per request), apply them and the records
// their links touched, and store the new cursor — all in one transaction, so
// a duplicated, late or reordered ping, or a kill at any point, at worst
// makes the next cycle read the same payloads again and apply them to the
// same end state. Requests: ⌈payloads ÷ 50⌉ + ⌈records ÷ 100⌉ per table.
// A window that adds, renames or removes fields is not applied until the
// caller has brought the live schema up to date (schema_sync) and says so.
// Single-thread.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "airtable/client.h"
#include "base/result.h"
#include "pg/connection.h"
#include "sync/record_applier.h"

namespace airpg::sync {

struct PayloadCycleOptions {
  airtable::Priority priority = airtable::Priority::kIncremental;
  int max_payload_pages = 20;  // per cycle; the rest waits for the next one
  // The caller has refreshed the live schema since the payloads' field changes.
  bool schema_current = false;
};

struct PayloadCycleResult {
  int64_t payloads = 0;
  int64_t requests = 0;
  int64_t cursor = 0;  // stored after the cycle
  ApplyStats applied;
  bool needs_schema_refresh = false;  // nothing applied: refresh, then run again
  bool hook_failed = false;           // an error payload: the hook must be re-created
  bool more = false;                  // payloads left for another cycle
  std::set<std::string> tables;       // tables whose records the window changed
};

// REQUIRES: airpg.sync_bases has the base's row with its webhook id.
Result<PayloadCycleResult> RunPayloadCycle(airtable::Client& client, pg::Connection& conn,
                                           RecordApplier& applier, const LiveBase& base,
                                           const PayloadCycleOptions& options = {});

}  // namespace airpg::sync
