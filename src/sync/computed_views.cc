#include "sync/computed_views.h"

#include "base/log.h"
#include "base/sql_identifier.h"
#include "mapping/computed_stamps.h"
#include "mapping/computed_view.h"
#include "sync/live_schema.h"

namespace airpg::sync {

Status DropComputedViews(pg::Connection& conn, const mapping::CatalogView& view) {
  for (const mapping::CatalogTable& t : view.tables) {
    AIRPG_RETURN_IF_ERROR(
        conn.Run("DROP VIEW IF EXISTS " +
                 QualifiedName(view.schema, mapping::ComputedViewName(t.table_name))));
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

}  // namespace airpg::sync
