// The safety poll of one table: every interval, read the records Airtable
// changed since the table's watermark (minus an overlap for clock skew and
// for writes that were in flight) and apply them, so a webhook ping that was
// lost, or a hook that lapsed, is healed within one interval. The filter is
// IS_AFTER({Last modified field}, …) when the table has a last-modified-time
// field that watches every field, else IS_AFTER(LAST_MODIFIED_TIME(), …).
// The first poll after a migration starts from the migration's start; a
// watermark of -infinity (set by a schema change that retyped, added or
// restored a field) asks for every record, unfiltered. The watermark is
// stored in the transaction that applies what the poll read.
// Single-thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "airtable/client.h"
#include "base/result.h"
#include "pg/connection.h"
#include "sync/record_applier.h"

namespace airpg::sync {

// Where a poll of one table stands: after each page it read, and once more
// (done) when what it read is applied. For progress output (`airpg sync`'s
// first catch-up); the sync itself never needs it.
struct PollProgress {
  std::string table_id;
  std::string table_name;  // in Postgres
  int64_t records = 0;     // read so far
  int64_t pages = 0;
  bool done = false;
};

struct PollOptions {
  std::chrono::seconds overlap{60};
  airtable::Priority priority = airtable::Priority::kIncremental;
  std::function<void(const PollProgress&)> on_progress;  // may be empty
};

struct PollResult {
  int64_t read = 0;  // records Airtable returned
  int64_t requests = 0;
  ApplyStats applied;
  std::string formula;  // the filter used ("" for a full read), for the event log and tests
};

// The filter for changes after `since` (an ISO-8601 UTC time).
std::string ChangedSinceFormula(const mapping::TablePlan& table, const std::string& since);

Result<PollResult> PollTable(airtable::Client& client, pg::Connection& conn, RecordApplier& applier,
                             const LiveBase& base, const std::string& table_id,
                             const PollOptions& options = {});

}  // namespace airpg::sync
