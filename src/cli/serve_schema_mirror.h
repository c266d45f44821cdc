// The schema mirror of `airpg serve`'s Meta API writes (api/meta_writer.h),
// where `sync/` and `migrate/` may both be used: once Airtable accepted a
// create or update of a table or field, the base's schema is applied to
// Postgres as the sync's schema step does it (sync::SyncSchema: columns
// added, renamed, descriptions); a table Airtable just created, which that
// step only reports, is migrated on its own (migrate::Migrate with just that
// table; the others are kept as they are) and given its authority row,
// guard and capture from `authority` (serve's sync settings) at once.
// Thread-safe as far as `client` is; each call uses the caller's connection.
#pragma once

#include <string>

#include "airtable/client.h"
#include "api/meta_writer.h"
#include "sync/authority.h"
#include "sync/schema_sync.h"

namespace airpg::cli {

// `client` is borrowed and must outlive the mirror; `conninfo` reaches
// Migrate for its own connections.
api::SchemaMirror MakeSchemaMirror(airtable::Client& client, std::string conninfo,
                                   sync::SchemaSyncOptions options = {},
                                   sync::AuthorityConfig authority = {});

}  // namespace airpg::cli
