// Replaying dead letters: the records behind the letters are read again from
// Airtable (their current version: a stale payload must not overwrite a newer
// change) and applied in one transaction. A letter whose cell now applies is
// closed — 'replayed' when an operator asked (`airpg dlq replay`), superseded
// when the sync retried it on its own (a link whose target has since
// arrived); one that fails again stays open with one more attempt. A record
// deleted meanwhile is tombstoned and its letters closed. Single-thread.
#pragma once

#include <cstdint>
#include <vector>

#include "airtable/client.h"
#include "base/result.h"
#include "pg/connection.h"
#include "sync/record_applier.h"

namespace airpg::sync {

struct ReplayResult {
  int64_t letters = 0;  // letters replayed
  int64_t closed = 0;   // of those, now applied
  int64_t requests = 0;
};

// The given letters (any base of `base`'s; others are skipped).
Result<ReplayResult> ReplayDeadLetters(airtable::Client& client, pg::Connection& conn,
                                       RecordApplier& applier, const LiveBase& base,
                                       const std::vector<int64_t>& ids);

// Every 'retrying' letter of the base: called by the sync each cycle.
Result<ReplayResult> RetryDeadLetters(airtable::Client& client, pg::Connection& conn,
                                      RecordApplier& applier, const LiveBase& base);

}  // namespace airpg::sync
