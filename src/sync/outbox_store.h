// OutboxStore: the one owner of airpg.outbox (airpg.outbox_keys: pg/outbox_keys.h) (format:
// docs/two-way-sync.md). Rows are claimed with a lease, a whole record at a
// time, in a short transaction that commits before anything is sent to
// Airtable; their outcome is recorded in another short transaction. Claims
// of one base are serialised by a transaction-level advisory lock, so
// several airpg processes share the work without sending one record twice
// at once. Functions over the caller's connection; single-thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"
#include "pg/outbox_keys.h"
#include "pg/transaction.h"

namespace airpg::sync {

// One captured change, as the capture trigger wrote it.
struct OutboxChange {
  int64_t outbox_id = 0;
  std::string table_id;
  std::string field_id;  // the link field of a junction row; "" for the table's own row
  int64_t row_id = 0;
  std::string airtable_id;  // of the row when captured; "" when it had none
  std::string operation;    // INSERT, UPDATE, DELETE
  std::vector<std::string> changed_columns;
  std::string old_row, new_row;  // JSON objects; "" when absent
  int attempts = 0;              // claims so far, this one included
  // Replayed by an operator (`airpg dlq replay`): a delete held by the
  // mass-delete breaker is then sent, not held again.
  bool released = false;
};

struct ClaimOptions {
  std::string owner;  // who holds the lease (host:pid:thread)
  int max_records = 100;
  // A record is sent once it has been quiet this long (keystroke churn
  // coalesces into one write) or its oldest change waited 10× as long.
  std::chrono::milliseconds debounce{200};
  std::chrono::milliseconds lease{30000};
};

// Claims the pending changes of up to max_records records that are due and
// not leased by anyone; returned by record, oldest change first.
Result<std::vector<OutboxChange>> ClaimChanges(pg::Connection& conn, const std::string& base_id,
                                               const ClaimOptions& options);

// Marks changes sent (in the caller's transaction).
Status CompleteChanges(pg::Transaction& tx, const std::vector<int64_t>& ids);

// Gives the changes back to be claimed again after `delay` (a transient
// failure, a link target without an Airtable id yet).
Status RescheduleChanges(pg::Connection& conn, const std::vector<int64_t>& ids,
                         std::chrono::milliseconds delay, const std::string& reason);

// Parks changes as dead letters with the request and Airtable's answer.
Status DeadLetterChanges(pg::Connection& conn, const std::vector<int64_t>& ids,
                         const std::string& request, const std::string& response,
                         const std::string& error_type, const std::string& reason);

// Dead changes of the base (all when `ids` is empty) become pending again:
// `airpg dlq replay`. They are marked released: the operator's replay is the
// release of deletes the mass-delete breaker held. Returns how many.
Result<int64_t> ReplayDeadChanges(pg::Connection& conn, const std::string& base_id,
                                  const std::vector<int64_t>& ids);

// Those of `ids` that are no change of the base's outbox at all (`airpg dlq
// replay --outbox` tells them apart from changes that are not dead).
Result<std::vector<int64_t>> UnknownChanges(pg::Connection& conn, const std::string& base_id,
                                            const std::vector<int64_t>& ids);

// The dead changes of a base, oldest first (`airpg dlq list --outbox`).
struct DeadChange {
  int64_t outbox_id = 0;
  std::string table_id;
  int64_t row_id = 0;
  std::string error_type, reason, request, response;
};
Result<std::vector<DeadChange>> ListDeadChanges(pg::Connection& conn, const std::string& base_id);

// Queues a follow-up change (a link field whose target had no Airtable id
// yet): the dispatcher sends it once the target has one.
Status QueueFollowUp(pg::Transaction& tx, const std::string& base_id, const OutboxChange& change,
                     const std::vector<std::string>& columns, std::chrono::milliseconds delay);

// The rows' airpg keys: pg/outbox_keys.h owns airpg.outbox_keys.
using pg::EnsureKey;
using pg::FindKey;
using pg::RecordKeyedId;
using pg::RowKey;

// Outbox figures of one table for `airpg status`.
struct OutboxDepth {
  int64_t pending = 0;
  int64_t dead = 0;
  std::string oldest_pending;  // created_at of the oldest pending change; "" when none
  int64_t failed = 0;          // pending changes whose last push failed, waiting for a retry
};
Result<OutboxDepth> ReadOutboxDepth(pg::Connection& conn, const std::string& table_id);

}  // namespace airpg::sync
