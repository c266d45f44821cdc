// ComputedViews: keeps a live base's S.<table>_computed views
// (mapping/computed_view.h) in step with schema changes. A view pins the
// columns it reads (no ALTER COLUMN TYPE, no DROP COLUMN under it), so a
// schema change drops the views first and recreates them from the catalog
// as it stands after the change, in the same transaction.
#pragma once

#include <string_view>

#include "base/status.h"
#include "mapping/catalog_view.h"
#include "pg/connection.h"

namespace airpg::sync {

// Drops the computed view of every table `view` lists.
[[nodiscard]] Status DropComputedViews(pg::Connection& conn, const mapping::CatalogView& view);

// (Re)creates the computed views of `base_id` from its catalog, and the
// triggers and sequences that stamp Postgres-written rows (computed_stamps.h).
[[nodiscard]] Status CreateComputedViews(pg::Connection& conn, std::string_view base_id);

// Records `user_id` (usr…; "" for none) as the collaborator Postgres writes
// as in base `base_id`: the stamp trigger puts it in the createdBy and
// lastModifiedBy columns of the rows Postgres writes (catalog_v8.sql); with
// none they are NULL. The user gets an airpg.users row if it has none yet.
// kInvalidArgument for an id that is not a usr… id.
[[nodiscard]] Status SetPostgresUser(pg::Connection& conn, std::string_view base_id,
                                     std::string_view user_id);

}  // namespace airpg::sync
