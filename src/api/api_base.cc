#include "api/api_base.h"

#include <fmt/core.h>

#include "mapping/catalog_view.h"
#include "pg/catalog_rows.h"

namespace airpg::api {
namespace {

// The catalog rows as mapping's view of them. The same conversion as
// sync/live_schema.cc (api may not use sync; TODO(issue 17): one owner in
// pg/ once the catalog modules move down).
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
  AIRPG_ASSIGN_OR_RETURN(pg::Rows name, conn.Exec("SELECT name FROM airpg.bases WHERE base_id = $1",
                                                  {std::string(base_id)}));
  if (!name.empty()) base.name = name.Get(0, 0);
  mapping::CatalogView view = ToView(std::move(rows));
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
