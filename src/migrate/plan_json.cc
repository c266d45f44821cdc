#include "migrate/plan_json.h"

#include <nlohmann/json.hpp>

#include "mapping/type_rules.h"

namespace airpg::migrate {

std::string PlanJson(const mapping::SchemaPlan& plan) {
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& t : plan.tables) {
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& f : t.fields) {
      nlohmann::json options = nullptr;
      if (!f.field.options_json.empty()) {
        options = nlohmann::json::parse(f.field.options_json, nullptr, false);
        if (options.is_discarded()) options = nullptr;
      }
      fields.push_back(
          {{"field_id", f.field.id},
           {"airtable_name", f.field.name},
           {"type", f.field.type_name},
           {"options", options},
           {"storage", mapping::StorageName(f.column.storage)},
           {"column_name", f.column_name},
           {"sql_type", f.HasColumn() ? f.column.sql_type : ""},
           {"relation_table",
            f.relation_table.empty() ? nlohmann::json() : nlohmann::json(f.relation_table)},
           {"read_only", f.column.read_only}});
    }
    tables.push_back({{"table_id", t.table_id},
                      {"airtable_name", t.airtable_name},
                      {"table_name", t.table_name},
                      {"description", t.description},
                      {"primary_field_id", t.primary_field_id},
                      {"fields", std::move(fields)}});
  }
  return nlohmann::json{{"tables", std::move(tables)}}.dump();
}

Status WriteCatalogRows(pg::Transaction& tx, std::string_view base_id, std::string_view plan_json) {
  std::string base(base_id), json(plan_json);
  AIRPG_RETURN_IF_ERROR(tx.Run("DELETE FROM airpg.tables WHERE base_id = $1", {base}));
  AIRPG_RETURN_IF_ERROR(tx.Run(
      "INSERT INTO airpg.tables (table_id, base_id, airtable_name, table_name, description, "
      "primary_field_id) "
      "SELECT t.table_id, $1, t.airtable_name, t.table_name, t.description, t.primary_field_id "
      "FROM jsonb_to_recordset($2::jsonb -> 'tables') AS t(table_id text, airtable_name text, "
      "table_name text, description text, primary_field_id text)",
      {base, json}));
  return tx.Run(
      "INSERT INTO airpg.fields (field_id, table_id, airtable_name, type, options, storage, "
      "column_name, sql_type, relation_table, read_only) "
      "SELECT f.field_id, t.value ->> 'table_id', f.airtable_name, f.type, f.options, f.storage, "
      "f.column_name, f.sql_type, f.relation_table, f.read_only "
      "FROM jsonb_array_elements($1::jsonb -> 'tables') AS t, "
      "jsonb_to_recordset(t.value -> 'fields') AS f(field_id text, airtable_name text, type text, "
      "options jsonb, storage text, column_name text, sql_type text, relation_table text, "
      "read_only boolean)",
      {json});
}

Result<mapping::KnownNames> ReadKnownNames(pg::Connection& conn, std::string_view base_id) {
  mapping::KnownNames known;
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows tables, conn.Exec("SELECT table_id, table_name FROM airpg.tables WHERE base_id = $1",
                                 {std::string(base_id)}));
  for (int i = 0; i < tables.size(); ++i)
    known.tables[std::string(tables.Get(i, 0))] = tables.Get(i, 1);
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows fields,
      conn.Exec("SELECT f.field_id, f.column_name, f.relation_table FROM airpg.fields f "
                "JOIN airpg.tables t USING (table_id) WHERE t.base_id = $1",
                {std::string(base_id)}));
  for (int i = 0; i < fields.size(); ++i) {
    std::string id(fields.Get(i, 0));
    known.columns[id] = fields.Get(i, 1);
    if (!fields.IsNull(i, 2)) known.relation_tables[id] = fields.Get(i, 2);
  }
  return known;
}

}  // namespace airpg::migrate
