#include "pg/catalog_rows.h"

#include <map>
#include <optional>

#include "pg/quote.h"

namespace airpg::pg {
namespace {

// The columns of a plan JSON's tables and fields, as jsonb_to_recordset reads them.
constexpr const char* kTableRecord =
    "jsonb_to_recordset($2::jsonb -> 'tables') AS t(table_id text, airtable_name text, "
    "table_name text, description text, primary_field_id text)";
constexpr const char* kFieldRecord =
    "jsonb_array_elements($1::jsonb -> 'tables') AS t, "
    "jsonb_to_recordset(t.value -> 'fields') AS f(field_id text, airtable_name text, type text, "
    "options jsonb, storage text, column_name text, sql_type text, relation_table text, "
    "read_only boolean, description text)";

Status ReadLiveNames(Connection& conn, CatalogRows& rows) {
  AIRPG_ASSIGN_OR_RETURN(
      Rows relations,
      conn.Exec("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = $1 ORDER BY 1",
                {rows.schema_name}));
  for (int i = 0; i < relations.size(); ++i) rows.relations.emplace_back(relations.Get(i, 0));
  AIRPG_ASSIGN_OR_RETURN(
      Rows columns,
      conn.Exec("SELECT c.relname, a.attname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
                "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname, a.attnum",
                {rows.schema_name}));
  std::map<std::string, std::vector<std::string>, std::less<>> by_table;
  for (int i = 0; i < columns.size(); ++i)
    by_table[std::string(columns.Get(i, 0))].emplace_back(columns.Get(i, 1));
  for (auto& table : rows.tables) {
    auto it = by_table.find(table.table_name);
    if (it != by_table.end()) table.columns = it->second;
  }
  return Status::Ok();
}

}  // namespace

Result<CatalogRows> ReadCatalogRows(Connection& conn, std::string_view base_id) {
  CatalogRows out;
  out.base_id = base_id;
  std::string base(base_id);
  AIRPG_ASSIGN_OR_RETURN(
      Rows bases, conn.Exec("SELECT schema_name FROM airpg.bases WHERE base_id = $1", {base}));
  out.migrated = !bases.empty();
  if (out.migrated) out.schema_name = bases.Get(0, 0);
  AIRPG_ASSIGN_OR_RETURN(
      Rows tables, conn.Exec("SELECT table_id, airtable_name, table_name, description, "
                             "coalesce(primary_field_id, '') FROM airpg.tables WHERE base_id = $1 "
                             "ORDER BY table_name",
                             {base}));
  for (int i = 0; i < tables.size(); ++i) {
    CatalogTableRow t;
    t.table_id = tables.Get(i, 0);
    t.airtable_name = tables.Get(i, 1);
    t.table_name = tables.Get(i, 2);
    t.description = tables.Get(i, 3);
    t.primary_field_id = tables.Get(i, 4);
    out.tables.push_back(std::move(t));
  }
  AIRPG_ASSIGN_OR_RETURN(
      Rows fields,
      conn.Exec(
          "SELECT f.field_id, f.table_id, f.airtable_name, f.type, "
          "coalesce(f.options::text, ''), f.storage, f.column_name, f.sql_type, "
          "coalesce(f.relation_table, ''), f.read_only, f.removed_at IS NOT NULL, f.description "
          "FROM airpg.fields f JOIN airpg.tables t USING (table_id) WHERE t.base_id = $1 "
          "ORDER BY t.table_name, f.column_name",
          {base}));
  for (int i = 0; i < fields.size(); ++i) {
    CatalogFieldRow f;
    f.field_id = fields.Get(i, 0);
    f.table_id = fields.Get(i, 1);
    f.airtable_name = fields.Get(i, 2);
    f.type = fields.Get(i, 3);
    f.options_json = fields.Get(i, 4);
    f.storage = fields.Get(i, 5);
    f.column_name = fields.Get(i, 6);
    f.sql_type = fields.Get(i, 7);
    f.relation_table = fields.Get(i, 8);
    f.read_only = fields.Get(i, 9) == "t";
    f.removed = fields.Get(i, 10) == "t";
    f.description = fields.Get(i, 11);
    out.fields.push_back(std::move(f));
  }
  if (out.migrated) AIRPG_RETURN_IF_ERROR(ReadLiveNames(conn, out));
  return out;
}

Status WriteCatalogRows(Transaction& tx, std::string_view base_id, std::string_view plan_json) {
  std::string base(base_id), json(plan_json);
  AIRPG_RETURN_IF_ERROR(tx.Run("DELETE FROM airpg.tables WHERE base_id = $1", {base}));
  AIRPG_RETURN_IF_ERROR(
      tx.Run(std::string("INSERT INTO airpg.tables (table_id, base_id, airtable_name, table_name, "
                         "description, primary_field_id) SELECT t.table_id, $1, t.airtable_name, "
                         "t.table_name, t.description, t.primary_field_id FROM ") +
                 kTableRecord,
             {base, json}));
  return tx.Run(
      std::string("INSERT INTO airpg.fields (field_id, table_id, airtable_name, type, options, "
                  "storage, column_name, sql_type, relation_table, read_only, description) "
                  "SELECT f.field_id, t.value ->> 'table_id', f.airtable_name, f.type, f.options, "
                  "f.storage, f.column_name, f.sql_type, f.relation_table, f.read_only, "
                  "coalesce(f.description, '') FROM ") +
          kFieldRecord,
      {json});
}

Status UpsertCatalogRows(Transaction& tx, std::string_view base_id, std::string_view plan_json) {
  std::string base(base_id), json(plan_json);
  AIRPG_RETURN_IF_ERROR(
      tx.Run(std::string("INSERT INTO airpg.tables (table_id, base_id, airtable_name, table_name, "
                         "description, primary_field_id) SELECT t.table_id, $1, t.airtable_name, "
                         "t.table_name, t.description, t.primary_field_id FROM ") +
                 kTableRecord +
                 " ON CONFLICT (table_id) DO UPDATE SET airtable_name = EXCLUDED.airtable_name, "
                 "table_name = EXCLUDED.table_name, description = EXCLUDED.description, "
                 "primary_field_id = EXCLUDED.primary_field_id",
             {base, json}));
  return tx.Run(
      std::string("INSERT INTO airpg.fields (field_id, table_id, airtable_name, type, options, "
                  "storage, column_name, sql_type, relation_table, read_only, description) "
                  "SELECT f.field_id, t.value ->> 'table_id', f.airtable_name, f.type, f.options, "
                  "f.storage, f.column_name, f.sql_type, f.relation_table, f.read_only, "
                  "coalesce(f.description, '') FROM ") +
          kFieldRecord +
          " ON CONFLICT (field_id) DO UPDATE SET airtable_name = EXCLUDED.airtable_name, "
          "type = EXCLUDED.type, options = EXCLUDED.options, storage = EXCLUDED.storage, "
          "column_name = EXCLUDED.column_name, sql_type = EXCLUDED.sql_type, "
          "relation_table = EXCLUDED.relation_table, read_only = EXCLUDED.read_only, "
          "description = EXCLUDED.description, removed_at = NULL",
      {json});
}

Status SetCatalogDescriptions(
    Connection& conn, std::string_view base_id,
    const std::vector<std::pair<std::string, std::string>>& table_descriptions,
    const std::vector<std::pair<std::string, std::string>>& field_descriptions) {
  auto ids = [](const auto& pairs) {
    std::vector<std::optional<std::string>> out;
    for (const auto& [id, description] : pairs) out.emplace_back(id);
    return ArrayLiteral(out);
  };
  auto texts = [](const auto& pairs) {
    std::vector<std::optional<std::string>> out;
    for (const auto& [id, description] : pairs) out.emplace_back(description);
    return ArrayLiteral(out);
  };
  std::string base(base_id);
  AIRPG_RETURN_IF_ERROR(conn.Run(
      "UPDATE airpg.tables t SET description = d.description FROM unnest($2::text[], "
      "$3::text[]) AS d(table_id, description) WHERE t.table_id = d.table_id AND t.base_id = $1 "
      "AND t.description IS DISTINCT FROM d.description",
      {base, ids(table_descriptions), texts(table_descriptions)}));
  return conn.Run(
      "UPDATE airpg.fields f SET description = d.description FROM unnest($2::text[], "
      "$3::text[]) AS d(field_id, description), airpg.tables t WHERE f.field_id = d.field_id "
      "AND t.table_id = f.table_id AND t.base_id = $1 AND f.description IS DISTINCT FROM "
      "d.description",
      {base, ids(field_descriptions), texts(field_descriptions)});
}

}  // namespace airpg::pg
