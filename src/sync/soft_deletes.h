// SoftDeletes: a Postgres soft delete (deleted_at set) leaves its links as a
// hard delete (the junctions' cascade, the foreign keys' SET NULL) and an
// Airtable delete (the inbound tombstone, record_applier.h) do, so verify
// finds the linking records level (issue 16, docs/two-way-sync.md
// "Deletes").
//
// The links go without capture (origin airtable): nothing is sent for the
// linking records. Airtable drops a deleted record from every link cell
// itself, and a record it never got (the row's create never reached it) it
// never listed; a link-field update of each linking record would only spend
// requests, and the last-synced values of their link fields (the base of
// the three-way rule) stay what Airtable holds: none is moved ahead of
// Airtable by a Postgres-only change, so no false conflict follows.
//  - A row with an Airtable id: taken out of its links by the inbound
//    tombstone itself (a RecordApplier batch destroying the record, as
//    deleted_records.cc does). Its answer, the records on the other side of
//    those links (their inverse cells, lookups, rollups and counts move in
//    Airtable with the delete), are for the caller to read again once the
//    delete is sent (OutboxEcho), as the inbound sync reads them again after
//    Airtable's delete.
//  - A row without one: its junction rows both ways and the foreign keys
//    pointing at it go; Airtable's cells never named it, nothing to read.
// Values computed in Postgres follow by themselves: the computed views leave
// tombstoned rows out (mapping/computed_link.h) and the computed caches'
// triggers run whatever the origin (mapping/computed_cache.h).
// Own transaction; the row is locked first, so a restore (deleted_at
// cleared) commits wholly before or after. No network call; single-thread.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "mapping/schema_plan.h"
#include "pg/connection.h"
#include "sync/link_writer.h"
#include "sync/record_applier.h"

namespace airpg::sync {

// When row `row_id` of `table` is soft-deleted now, takes it out of every
// link (above) and returns the records to read again from Airtable once its
// delete is sent; a live or hard-deleted row is left alone (nothing
// returned). Idempotent: a second call finds no link left.
Result<TouchedRecords> LeaveLinksOfSoftDelete(pg::Connection& conn, const LiveBase& base,
                                              const mapping::TablePlan& table, int64_t row_id);

}  // namespace airpg::sync
