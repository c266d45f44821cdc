// The live plan of a base: its schema name (airpg.bases) and the SchemaPlan
// of its tables and columns (sync::LiveBase, which the record applier writes
// through). It is planned from the catalog's own record of each table and
// field (airpg.tables/fields: Airtable type and options as last applied,
// names as given), so it matches the live columns exactly, also while an
// Airtable schema change waits for schema_sync.h to apply it; once applied it
// equals the current Airtable schema planned with the catalog's names.
// Reload it after ApplySchemaChanges applied anything (RefreshLiveBase does).
// Functions are thread-compatible (one Connection per thread).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "mapping/catalog_view.h"
#include "mapping/schema_plan.h"
#include "pg/connection.h"
#include "sync/record_applier.h"

namespace airpg::sync {

// The catalog's view of the base: its tables and fields (removed ones too)
// and the names its live schema holds. kFailedPrecondition when the base was
// never migrated.
Result<mapping::CatalogView> ReadCatalogView(pg::Connection& conn, std::string_view base_id);

// `warnings`, when given, receives the fields whose recorded column differs
// from what this build's rules plan (made by an older airpg; the plan follows
// the rules, `airpg migrate` rebuilds them).
Result<LiveBase> LoadLiveBase(pg::Connection& conn, std::string_view base_id,
                              std::vector<std::string>* warnings = nullptr);

// The same from a view already read.
Result<LiveBase> LiveBaseOf(std::string_view base_id, const mapping::CatalogView& view,
                            std::vector<std::string>* warnings = nullptr);

}  // namespace airpg::sync
