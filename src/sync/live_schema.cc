#include "sync/live_schema.h"

#include <fmt/core.h>

#include "pg/catalog_rows.h"

namespace airpg::sync {
namespace {

mapping::CatalogView ToView(pg::CatalogRows rows) {
  mapping::CatalogView view;
  view.schema = std::move(rows.schema_name);
  for (auto& t : rows.tables) {
    view.tables.push_back({std::move(t.table_id), std::move(t.airtable_name),
                           std::move(t.table_name), std::move(t.description),
                           std::move(t.primary_field_id), std::move(t.columns)});
  }
  for (auto& f : rows.fields) {
    mapping::CatalogField field;
    field.field_id = std::move(f.field_id);
    field.table_id = std::move(f.table_id);
    field.airtable_name = std::move(f.airtable_name);
    field.type_name = std::move(f.type);
    field.options_json = std::move(f.options_json);
    field.storage = std::move(f.storage);
    field.column_name = std::move(f.column_name);
    field.sql_type = std::move(f.sql_type);
    field.relation_table = std::move(f.relation_table);
    field.removed = f.removed;
    field.description = f.description;
    view.fields.push_back(std::move(field));
  }
  view.relations = std::move(rows.relations);
  return view;
}

}  // namespace

Result<mapping::CatalogView> ReadCatalogView(pg::Connection& conn, std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(pg::CatalogRows rows, pg::ReadCatalogRows(conn, base_id));
  if (!rows.migrated) {
    return FailedPreconditionError(fmt::format(
        "base {} has not been migrated yet: run `airpg migrate --base {}`", base_id, base_id));
  }
  return ToView(std::move(rows));
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
