#include "sync/computed_views.h"

#include <fmt/core.h>

#include "base/log.h"
#include "base/sql_identifier.h"
#include "mapping/computed_stamps.h"
#include "mapping/computed_view.h"
#include "sync/live_schema.h"

namespace airpg::sync {

Status DropComputedViews(pg::Connection& conn, const mapping::CatalogView& view) {
  // The names the views were given: planned from the catalog as it stands,
  // from the same pool as the live views (a "<table>_computed" that is a
  // table keeps its name, the view moved aside).
  AIRPG_ASSIGN_OR_RETURN(
      mapping::SchemaPlan plan,
      mapping::PlanSchema(mapping::CatalogSchema(view), mapping::KnownNamesOf(view)));
  // The caches first, with their triggers: the change's own writes (a
  // retype copies a column) must not run a refresh that reads what it renames.
  AIRPG_RETURN_IF_ERROR(conn.Run(mapping::CacheDropSql(view.schema)));
  for (const mapping::TablePlan& t : plan.tables) {
    AIRPG_RETURN_IF_ERROR(
        conn.Run("DROP VIEW IF EXISTS " + QualifiedName(view.schema, t.computed_view)));
  }
  return Status::Ok();
}

Status CreateComputedViews(pg::Connection& conn, std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(LiveBase live, LoadLiveBase(conn, base_id));
  mapping::ComputedPlan computed = mapping::PlanComputed(live.plan, live.schema);
  std::vector<std::string> ddl = mapping::ComputedViewDdl(live.plan, computed, live.schema);
  for (std::string& s : mapping::StampDdl(live.plan, live.schema)) ddl.push_back(std::move(s));
  // A view Postgres refuses must not hold back the schema change it follows:
  // each runs under a savepoint, and a refused one is logged and left out.
  for (const std::string& s : ddl) {
    AIRPG_RETURN_IF_ERROR(conn.Run("SAVEPOINT airpg_computed_view"));
    Status created = conn.Run(s);
    if (!created.ok()) {
      log::Warn("base {}: a computed view was left out: {}", base_id, created.message());
      AIRPG_RETURN_IF_ERROR(conn.Run("ROLLBACK TO SAVEPOINT airpg_computed_view"));
    }
    AIRPG_RETURN_IF_ERROR(conn.Run("RELEASE SAVEPOINT airpg_computed_view"));
  }
  return Status::Ok();
}

Status SetPostgresUser(pg::Connection& conn, std::string_view base_id, std::string_view user_id) {
  std::string user(user_id);
  if (!user.empty() && user.rfind("usr", 0) != 0) {
    return InvalidArgumentError(
        fmt::format("sync.postgres_user {} is not a collaborator id (usr…)", user));
  }
  if (!user.empty()) {
    AIRPG_RETURN_IF_ERROR(conn.Run(
        "INSERT INTO airpg.users (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING", {user}));
  }
  return conn.Run("UPDATE airpg.bases SET postgres_user_id = NULLIF($2, '') WHERE base_id = $1",
                  {std::string(base_id), user});
}

}  // namespace airpg::sync
