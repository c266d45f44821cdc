// Reads whole records from Airtable for the sync: the records a webhook
// payload or a link change named, up to 100 per request (one listRecords
// with filterByFormula OR(RECORD_ID()=…) — the client switches to POST when
// the URL grows long), so a cycle costs ⌈changes ÷ 100⌉ requests, not one per
// record. An id Airtable no longer returns was deleted: it comes back in
// `destroyed`. Also the round trip every source ends with: apply, then read
// and apply the records the links touched, in the caller's transaction.
// Thread-compatible (the Client is thread-safe).
#pragma once

#include <set>
#include <string>

#include "airtable/client.h"
#include "base/result.h"
#include "pg/transaction.h"
#include "sync/change_batch.h"
#include "sync/record_applier.h"

namespace airpg::sync {

// The formula that selects the given record ids ("" for none).
std::string RecordIdFilter(const std::set<std::string>& ids);

// The current version of each record of `ids` (table id → record ids).
Result<ChangeBatch> ReadRecords(airtable::Client& client, const std::string& base_id,
                                const TouchedRecords& ids, airtable::Priority priority,
                                int64_t* requests = nullptr);

struct RoundStats {
  ApplyStats applied;  // summed over the rounds
  int rounds = 0;
  int64_t requests = 0;  // Airtable requests made for follow-up reads
};

// Applies `batch`, then reads and applies the records its links touched, at
// most `max_rounds` rounds in all (each round's touched records are the next
// one's batch; they settle in two, as a link change touches only its pair).
Result<RoundStats> ApplyWithFollowUps(airtable::Client& client, pg::Transaction& tx,
                                      RecordApplier& applier, ChangeBatch batch,
                                      const std::string& base_id, airtable::Priority priority,
                                      int max_rounds = 3);

// ApplyWithFollowUps for a source's batch (nothing when it is empty), with
// what it applied and the requests its follow-up reads made added to the
// source's own counts.
Status ApplyAndCount(airtable::Client& client, pg::Transaction& tx, RecordApplier& applier,
                     ChangeBatch batch, const std::string& base_id, airtable::Priority priority,
                     ApplyStats& applied, int64_t& requests);

}  // namespace airpg::sync
