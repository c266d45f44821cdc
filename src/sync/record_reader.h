// Reads whole records from Airtable for the sync: the records a webhook
// payload or a link change named, up to 100 per request (one listRecords
// with filterByFormula OR(RECORD_ID()=…) — the client switches to POST when
// the URL grows long), so a cycle costs ⌈changes ÷ 100⌉ requests, not one per
// record. An id Airtable no longer returns was deleted: it comes back in
// `destroyed`. Also the round trip every source ends with: apply, then read
// and apply the records the links touched — every read and download before
// the transaction that applies them, never while it holds row locks.
// Thread-compatible (the Client is thread-safe).
#pragma once

#include <functional>
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
  ApplyStats applied;    // of the transaction that committed
  int rounds = 0;        // transactions begun (all but the last rolled back)
  int64_t requests = 0;  // Airtable requests made for follow-up reads
};

// The source's own writes (cursor, watermark, sync events), run in the
// transaction that applies the batch, after it, so they commit together.
using InTransaction = std::function<Status(pg::Transaction& tx, const RoundStats& stats)>;

// Applies `batch` with the records its links touched, in one transaction on
// `conn` that commits with `finish`'s writes. A round stores the batch's
// attachments, then applies it in a transaction; when the links touched
// records outside the batch, that transaction rolls back, the touched
// records are read from Airtable (no transaction open) and added to the
// batch, and the next round applies the whole again. At most `max_rounds`
// rounds (they settle in two, as a link change touches only its pair); what
// the last one touched is left in applied.touched for a later cycle.
// REQUIRES: no transaction open on `conn`.
Result<RoundStats> ApplyWithFollowUps(airtable::Client& client, pg::Connection& conn,
                                      RecordApplier& applier, ChangeBatch batch,
                                      const std::string& base_id, airtable::Priority priority,
                                      const InTransaction& finish = {}, int max_rounds = 3);

// ApplyWithFollowUps for a source's batch (when it is empty, only `finish`
// runs, in its own transaction), with what it applied and the requests its
// follow-up reads made added to the source's own counts before `finish`.
Status ApplyAndCount(airtable::Client& client, pg::Connection& conn, RecordApplier& applier,
                     ChangeBatch batch, const std::string& base_id, airtable::Priority priority,
                     ApplyStats& applied, int64_t& requests,
                     const std::function<Status(pg::Transaction& tx)>& finish = {});

}  // namespace airpg::sync
