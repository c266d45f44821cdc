// Rewrites the relation rows of one table's link and collaborator fields for
// the records of a batch, so each cell in Postgres reads as Airtable sent it:
// a single-record link sets the FK column (and its inverse cell re-points the
// FKs of the records it lists); a junction keeps one row per pair with the
// position in each side's cell — pairs that left the cell are deleted, new
// pairs are appended at the end of the other side's order (where Airtable
// puts them), unchanged pairs are not touched (no audit noise). A pair or
// key whose far end was created in Postgres and has no rec id yet is kept:
// Airtable cannot list what it has not got, so its cell says nothing about
// that link (the outbox sends it once the far end has its id) — unless the
// cell is Airtable's list winning a conflict of the field, which replaces
// Postgres's whole list. Runs after every table's rows of the batch are
// upserted, so links within the batch resolve. Single-thread (one
// transaction).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "mapping/record_row.h"
#include "mapping/schema_plan.h"
#include "pg/transaction.h"

namespace airpg::sync {

// A link to a record Postgres does not have (yet).
struct DanglingLink {
  std::string record_id;
  std::string field_id;
  std::string target;
};

// table id → record ids.
using TouchedRecords = std::map<std::string, std::set<std::string>>;

struct LinkOutcome {
  std::vector<DanglingLink> dangling;  // not applied: the target is missing
  // Records on the other side of a link that came or went: their own cells
  // (the inverse link, and counts, lookups and modified times that follow
  // it) changed in Airtable too, so the sync reads them again.
  TouchedRecords touched;
};

// (record id, field id) pairs.
using RecordFields = std::set<std::pair<std::string, std::string>>;

// REQUIRES: the rows of `table` are upserted; at most one row per record.
// `airtable_won`: the cells whose Airtable list won a conflict over a
// pending Postgres change (InboundConflicts::airtable_won): their links to
// Postgres-born rows go too.
Result<LinkOutcome> WriteLinks(pg::Transaction& tx, std::string_view schema,
                               const mapping::SchemaPlan& plan, const mapping::TablePlan& table,
                               const std::vector<mapping::RecordRow>& rows,
                               const RecordFields& airtable_won = {});

}  // namespace airpg::sync
