#include "sync/live_schema.h"

#include <fmt/core.h>

#include "pg/catalog_rows.h"

namespace airpg::sync {

Result<mapping::CatalogView> ReadCatalogView(pg::Connection& conn, std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(pg::CatalogRows rows, pg::ReadCatalogRows(conn, base_id));
  if (!rows.migrated) {
    return FailedPreconditionError(fmt::format(
        "base {} has not been migrated yet: run `airpg migrate --base {}`", base_id, base_id));
  }
  return mapping::CatalogViewOf(std::move(rows));
}

Result<LiveBase> LoadLiveBase(pg::Connection& conn, std::string_view base_id,
                              std::vector<std::string>* warnings) {
  AIRPG_ASSIGN_OR_RETURN(mapping::CatalogView view, ReadCatalogView(conn, base_id));
  return LiveBaseOf(base_id, view, warnings);
}

Result<LiveBase> LiveBaseOf(std::string_view base_id, const mapping::CatalogView& view,
                            std::vector<std::string>* warnings) {
  LiveBase live;
  live.base_id = base_id;
  live.schema = view.schema;
  AIRPG_ASSIGN_OR_RETURN(
      live.plan, mapping::PlanSchema(mapping::CatalogSchema(view), mapping::KnownNamesOf(view)));
  for (const auto& table : live.plan.tables) {
    for (const auto& f : table.fields) {
      const mapping::CatalogField* recorded = view.FindField(f.field.id);
      std::string sql_type = f.HasColumn() ? f.column.sql_type : "";
      if (warnings == nullptr || recorded == nullptr ||
          (recorded->storage == mapping::StorageName(f.column.storage) &&
           recorded->sql_type == sql_type)) {
        continue;
      }
      warnings->push_back(fmt::format(
          "field {} (\"{}\") of table {}: the catalog says {} {}, this airpg plans {} {}; run "
          "`airpg migrate` to rebuild it",
          f.field.id, f.field.name, table.table_name, recorded->storage, recorded->sql_type,
          mapping::StorageName(f.column.storage), sql_type));
    }
  }
  return live;
}

}  // namespace airpg::sync
