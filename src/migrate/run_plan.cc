#include "migrate/run_plan.h"

#include <nlohmann/json.hpp>

#include "mapping/schema_plan.h"
#include "pg/catalog.h"
#include "pg/catalog_rows.h"

namespace airpg::migrate {
// A new staging schema is empty, so nothing else needs reserving.
mapping::KnownNames KnownNamesOf(const pg::CatalogRows& rows) {
  mapping::KnownNames known;
  for (const auto& t : rows.tables) known.tables[t.table_id] = t.table_name;
  for (const auto& f : rows.fields) {
    // A single link's key named before keys were `<field>_id` (issue 15) is
    // named afresh: the staging schema is new, so the name is free to change.
    bool old_key_name = f.storage == mapping::StorageName(mapping::Storage::kForeignKey) &&
                        !f.sql_type.empty() && !f.column_name.ends_with("_id");
    if (!old_key_name) known.columns[f.field_id] = f.column_name;
    if (!f.relation_table.empty()) known.relation_tables[f.field_id] = f.relation_table;
  }
  return known;
}

mapping::SchemaPlan RunPlan::RefreshedPlan() const {
  mapping::SchemaPlan out;
  out.warnings = plan.warnings;
  for (const auto& t : plan.tables) {
    if (refreshed.count(t.table_id)) out.tables.push_back(t);
  }
  return out;
}

Result<std::optional<LiveMirror>> FindLiveMirror(pg::Connection& conn, std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT b.schema_name, b.active_run_id FROM airpg.bases b WHERE b.base_id = $1 "
                "AND b.active_run_id IS NOT NULL AND EXISTS (SELECT 1 FROM pg_namespace WHERE "
                "nspname = b.schema_name)",
                {std::string(base_id)}));
  if (rows.empty()) return std::optional<LiveMirror>();
  return std::optional<LiveMirror>(
      LiveMirror{std::string(rows.Get(0, 0)), std::stoll(std::string(rows.Get(0, 1)))});
}

Result<RunPlan> PlanRun(airtable::Client& client, pg::Connection& conn, std::string_view base_id,
                        const std::vector<std::string>& tables) {
  AIRPG_ASSIGN_OR_RETURN(airtable::BaseSchema schema, client.GetBaseSchema(base_id, false));
  AIRPG_RETURN_IF_ERROR(pg::EnsureCatalog(conn));
  AIRPG_ASSIGN_OR_RETURN(pg::CatalogRows rows, pg::ReadCatalogRows(conn, base_id));
  mapping::KnownNames known = KnownNamesOf(rows);
  RunPlan out;
  out.catalog = rows;
  AIRPG_ASSIGN_OR_RETURN(out.live, FindLiveMirror(conn, base_id));
  AIRPG_ASSIGN_OR_RETURN(mapping::SchemaPlan selected, mapping::PlanSchema(schema, known, tables));
  for (const auto& t : selected.tables) out.refreshed.insert(t.table_id);
  if (tables.empty() || !out.live) {
    out.plan = std::move(selected);
    return out;
  }
  // The live tables Airtable still has, besides the named ones, are kept.
  std::vector<std::string> planned(out.refreshed.begin(), out.refreshed.end());
  for (const auto& t : rows.tables) {
    if (out.refreshed.count(t.table_id) || schema.FindTable(t.table_id) == nullptr) continue;
    if (t.columns.empty()) continue;  // missing from the live schema: nothing to keep
    out.kept.insert(t.table_id);
    planned.push_back(t.table_id);
  }
  AIRPG_ASSIGN_OR_RETURN(out.plan, mapping::PlanSchema(schema, known, planned));
  if (out.partial()) {
    nlohmann::json refresh = nlohmann::json::array();
    for (const auto& id : out.refreshed) refresh.push_back(id);
    out.options_json = nlohmann::json{{"refresh", refresh}}.dump();
  }
  return out;
}

}  // namespace airpg::migrate
