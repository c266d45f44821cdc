// EvaluatedFields: the evaluator on Postgres writes (issue 18). Formula
// fields the SQL compiler refuses (and clock formulas, NOW()/TODAY()) are
// computed here, with src/formula's evaluator, for every row a Postgres
// write changed and every row whose lookups, rollups or counts read such a
// row (found through the link relations), in tables Postgres may write
// (authority postgres or both). Each row is read from its
// S.<table>_computed view, so the fields SQL computes are current inputs;
// the results go back into the stored columns (errors: NULL plus
// airpg_cell_errors) under airpg.origin = 'airtable', so the write is
// neither stamped nor captured into the outbox, and airpg.evaluated_rows
// records when. Runs first in every outbox dispatcher round
// (outbox_dispatcher.cc), before the debounce lets the changes be claimed,
// so a reader waits one idle wait of the dispatcher, not the debounce.
// Functions over the caller's connection or transaction; single-thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"
#include "pg/transaction.h"
#include "sync/authority.h"
#include "sync/outbox_store.h"
#include "sync/record_applier.h"

namespace airpg::sync {

struct EvaluateReport {
  int64_t rows = 0;     // rows evaluated
  int64_t written = 0;  // rows whose evaluated values changed
};

// The captured changes of the base not evaluated yet (airpg.outbox's
// evaluated_at, catalog_v12.sql), marked and evaluated in one short
// transaction under the claims' advisory lock: a crash before its commit
// leaves them to the next round. A round without such changes costs one
// indexed query. NOW() and TODAY() read `now_millis`.
Result<EvaluateReport> EvaluatePendingChanges(pg::Connection& conn, const std::string& base_id,
                                              int64_t now_millis);

// Evaluates the rows `changes` touched and their dependents in `tx`, which
// the caller opened with airpg.origin = 'airtable'.
Result<EvaluateReport> EvaluateChangedRows(pg::Transaction& tx, const LiveBase& base,
                                           const std::map<std::string, TableAuthority>& authority,
                                           const std::vector<OutboxChange>& changes,
                                           int64_t now_millis);

}  // namespace airpg::sync
