// Schema changes while syncing: brings a mirrored base's live Postgres schema
// in step with its Airtable schema. A field added gets its column (and the
// relation a migration would give it); renamed, its column is renamed
// (identity is the fld… id: nothing is lost, nothing re-read); given a type
// its column cannot hold, the old column is kept as `<col>__v<k>` and a new
// one added, to be refilled by reading the table again (cells the new type
// cannot hold then wait in the sync's ledger, airpg.dead_letters); removed,
// its column is kept and marked (airpg.fields.removed_at and its COMMENT) or,
// when configured, dropped. New tables, and changes that would move a link pair's storage,
// are reported for `airpg migrate`. All of one call's changes apply in ONE
// transaction with the catalog rows they change and one airpg.schema_versions
// row per change (its text and its DDL). See mapping/schema_diff.h.
//
// When: whenever a webhook payload carries field or table changes
// (PayloadChangesSchema), and every few minutes as a safety net; each check
// is one GetBaseSchema request, and a no-op costs a few catalog reads.
// Thread-compatible (one Connection per thread); concurrent calls for one
// base, in any process, are serialised with each other and with
// `airpg migrate` by the base's advisory lock.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "airtable/client.h"
#include "airtable/schema.h"
#include "airtable/webhook.h"
#include "base/result.h"
#include "mapping/schema_diff.h"
#include "pg/connection.h"
#include "sync/live_schema.h"

namespace airpg::sync {

struct SchemaSyncOptions {
  // A field removed in Airtable: drop its column and the relation it owns
  // (and its attachment rows) instead of keeping them.
  bool drop_removed = false;
  // How long a DDL statement waits for its table's lock before the call
  // gives up with kUnavailable (readers queue behind a waiting DDL).
  std::chrono::milliseconds lock_timeout{5000};
};

struct SchemaSyncSummary {
  std::vector<mapping::SchemaChange> applied;
  std::vector<mapping::SchemaChange> reported;  // not applied: they need a migration
  // Tables to read again in full (added, retyped or restored fields), by tbl… id.
  std::vector<std::string> reread_table_ids;
  std::vector<std::string> warnings;
};

// Diffs `current` (the base's whole Meta API schema) against the catalog and
// applies what can be applied. kFailedPrecondition when the base was never
// migrated; kUnavailable when a migration or another schema change of the
// base holds its lock, kAborted when a table stayed locked past
// `lock_timeout`: try again later; nothing is applied then.
Result<SchemaSyncSummary> ApplySchemaChanges(pg::Connection& conn, std::string_view base_id,
                                             const airtable::BaseSchema& current,
                                             const SchemaSyncOptions& options = {});

// One GetBaseSchema request (backfill priority, as the lanes say), then
// ApplySchemaChanges.
Result<SchemaSyncSummary> SyncSchema(airtable::Client& client, pg::Connection& conn,
                                     std::string_view base_id,
                                     const SchemaSyncOptions& options = {});

// What the BaseSyncer's `refresh_schema` hook does: SyncSchema, then
// `base.plan` reloaded from the catalog. The tables in `reread_table_ids`
// are owed a full read (their poll watermark is -infinity until a poll has
// read them whole), so the new columns fill; the caller polls them soon.
Result<SchemaSyncSummary> RefreshLiveBase(airtable::Client& client, pg::Connection& conn,
                                          LiveBase& base, const SchemaSyncOptions& options = {});

// Whether a webhook payload says the schema changed: fields created, changed
// or destroyed, tables created, changed or destroyed.
bool PayloadChangesSchema(const airtable::Payload& payload);

}  // namespace airpg::sync
