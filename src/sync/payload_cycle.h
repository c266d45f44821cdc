// One webhook cycle of a base: read the payloads after the stored cursor,
// collect the records they name (created, changed, destroyed, per table),
// read those records whole (≤ 100 per request), apply them and the records
// their links touched, and store the new cursor — all in one transaction, so
// a duplicated, late or reordered ping, or a kill at any point, at worst
// makes the next cycle read the same payloads again and apply them to the
// same end state. Requests: ⌈payloads ÷ 50⌉ + ⌈records ÷ 100⌉ per table.
// A window that adds, renames or removes fields is not applied until the
// caller has brought the live schema up to date (schema_sync) and says up to
// which payload that read of the schema covers: a schema change made after it
// (while the schema was being read) is never passed — the window ends just
// before it, and the next cycle asks for another refresh. The cursor never
// passes a payload that was not applied; one the parser could not read is
// dead-lettered (dead_letters.h) and passed. Single-thread.
#pragma once

#include <chrono>
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
  // The schema changes of payloads numbered below this are in the live
  // schema: the caller refreshed it after listing them (PayloadCycleResult::
  // listed_to of the cycle that asked for the refresh). 0: none are.
  int64_t schema_read_after = 0;
  // How long the cycle waits for the outbox's updates on their way of the
  // records its payloads name (their answers applied first), per table.
  std::chrono::milliseconds own_write_wait = std::chrono::seconds(5);
};

struct PayloadCycleResult {
  int64_t payloads = 0;
  int64_t requests = 0;
  int64_t cursor = 0;  // stored after the cycle
  ApplyStats applied;
  bool needs_schema_refresh = false;  // nothing applied: refresh, then run again
  // With needs_schema_refresh: every payload below this had been listed
  // before the refresh (pass it as schema_read_after).
  int64_t listed_to = 0;
  int64_t dead_lettered = 0;     // payloads the parser could not read, passed
  bool hook_failed = false;      // an error payload: the hook must be re-created
  bool more = false;             // payloads left for another cycle
  std::set<std::string> tables;  // tables whose records the window changed
};

// REQUIRES: airpg.sync_bases has the base's row with its webhook id.
Result<PayloadCycleResult> RunPayloadCycle(airtable::Client& client, pg::Connection& conn,
                                           RecordApplier& applier, const LiveBase& base,
                                           const PayloadCycleOptions& options = {});

}  // namespace airpg::sync
