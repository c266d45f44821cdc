#include "api/api_base.h"

#include <fmt/core.h>

#include "mapping/catalog_view.h"
#include "pg/catalog_rows.h"

namespace airpg::api {

const mapping::TablePlan* ApiBase::FindTable(std::string_view id_or_name) const {
  if (const mapping::TablePlan* table = plan.FindTable(id_or_name)) return table;
  for (const auto& table : plan.tables) {
    if (table.airtable_name == id_or_name) return &table;
  }
  return nullptr;
}

const mapping::FieldPlan* FindField(const mapping::TablePlan& table, std::string_view id_or_name) {
  if (const mapping::FieldPlan* field = table.FindField(id_or_name)) return field;
  for (const auto& field : table.fields) {
    if (field.field.name == id_or_name) return &field;
  }
  return nullptr;
}

Result<ApiBase> LoadApiBase(pg::Connection& conn, std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(pg::CatalogRows rows, pg::ReadCatalogRows(conn, base_id));
  if (!rows.migrated) return NotFoundError(fmt::format("base {} is not mirrored", base_id));
  ApiBase base;
  base.base_id = base_id;
  AIRPG_ASSIGN_OR_RETURN(pg::Rows name,
                         conn.Exec("SELECT name, coalesce(permission_level, '') FROM airpg.bases "
                                   "WHERE base_id = $1",
                                   {std::string(base_id)}));
  if (!name.empty()) {
    base.name = name.Get(0, 0);
    base.permission_level = name.Get(0, 1);
  }
  mapping::CatalogView view = mapping::CatalogViewOf(std::move(rows));
  base.schema = view.schema;
  AIRPG_ASSIGN_OR_RETURN(
      base.plan, mapping::PlanSchema(mapping::CatalogSchema(view), mapping::KnownNamesOf(view)));
  // The catalog's names win: they are what the live schema holds.
  for (auto& table : base.plan.tables) {
    if (const mapping::CatalogTable* recorded = view.FindTable(table.table_id)) {
      table.table_name = recorded->table_name;
    }
    for (auto& field : table.fields) {
      const mapping::CatalogField* recorded = view.FindField(field.field.id);
      if (recorded == nullptr) continue;
      if (!recorded->column_name.empty()) field.column_name = recorded->column_name;
      if (!recorded->relation_table.empty()) field.relation_table = recorded->relation_table;
    }
  }
  return base;
}

}  // namespace airpg::api
