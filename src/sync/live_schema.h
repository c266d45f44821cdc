// LiveSchema: a mirrored base as its Postgres schema is now — the schema's
// name (airpg.bases) and the SchemaPlan of its tables and columns — which the
// sync applies records through. It is planned from the catalog's own record
// of each table and field (airpg.tables/fields: Airtable type and options as
// last applied, names as given), so it matches the live columns exactly, also
// while an Airtable schema change waits for schema_sync.h to apply it; once
// applied it equals the current Airtable schema planned with the catalog's
// names. Reload it after ApplySchemaChanges applied anything.
// Functions are thread-compatible (one Connection per thread); values are
// immutable once loaded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "mapping/catalog_view.h"
#include "mapping/schema_plan.h"
#include "pg/connection.h"

namespace airpg::sync {

struct LiveSchema {
  std::string base_id;
  std::string schema;  // airpg.bases.schema_name
  mapping::SchemaPlan plan;
  // Fields whose column differs from what the rules of this build would plan
  // (made by an older airpg): the plan follows the rules; `airpg migrate`
  // rebuilds them.
  std::vector<std::string> warnings;
};

// The catalog's view of the base: its tables and fields (removed ones too)
// and the names its live schema holds. kFailedPrecondition when the base was
// never migrated.
Result<mapping::CatalogView> ReadCatalogView(pg::Connection& conn, std::string_view base_id);

Result<LiveSchema> LoadLiveSchema(pg::Connection& conn, std::string_view base_id);

// The same from a view already read.
Result<LiveSchema> LiveSchemaOf(std::string_view base_id, const mapping::CatalogView& view);

}  // namespace airpg::sync
