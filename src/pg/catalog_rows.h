// CatalogRows: one base's rows of the airpg catalog (airpg.bases, .tables,
// .fields) as plain values, with the names its live schema holds now; and the
// writers that put a plan's JSON (mapping/plan_json.h) into those tables.
// pg/ knows nothing of plans: migrate and sync turn these rows into their
// own values (mapping::KnownNames, mapping::CatalogView).
// Functions are thread-compatible (one Connection per thread).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"
#include "pg/transaction.h"

namespace airpg::pg {

struct CatalogTableRow {
  std::string table_id;
  std::string airtable_name;
  std::string table_name;
  std::string description;
  std::string primary_field_id;
  // The live table's columns now (pg_attribute); empty when it is missing.
  std::vector<std::string> columns;
};

struct CatalogFieldRow {
  std::string field_id;
  std::string table_id;
  std::string airtable_name;
  std::string type;
  std::string options_json;  // "" when NULL
  std::string storage;
  std::string column_name;
  std::string sql_type;
  std::string relation_table;  // "" when NULL
  std::string description;
  bool read_only = false;
  bool removed = false;  // removed_at is set: deleted in Airtable, column kept
};

struct CatalogRows {
  std::string base_id;
  bool migrated = false;                // airpg.bases has the base
  std::string schema_name;              // its live schema; "" when not migrated
  std::vector<CatalogTableRow> tables;  // by table_name
  std::vector<CatalogFieldRow> fields;  // by table, then column_name
  // Every relation name in the live schema (tables, indexes, sequences…):
  // a new relation may take none of them.
  std::vector<std::string> relations;
};

Result<CatalogRows> ReadCatalogRows(Connection& conn, std::string_view base_id);

// Replaces the base's rows in airpg.tables and airpg.fields with `plan_json`
// (a migration's whole plan, when it is swapped in or rolled back to).
Status WriteCatalogRows(Transaction& tx, std::string_view base_id, std::string_view plan_json);

// Inserts or updates the tables and fields `plan_json` lists, leaving the
// base's others as they are; the listed fields are live again (removed_at
// cleared). For schema changes applied while syncing.
Status UpsertCatalogRows(Transaction& tx, std::string_view base_id, std::string_view plan_json);

// Sets the descriptions of the base's tables and fields named (by tbl…/fld…
// id; others are left as they are): descriptions change no column, so the
// schema sync's diff does not carry them.
Status SetCatalogDescriptions(
    Connection& conn, std::string_view base_id,
    const std::vector<std::pair<std::string, std::string>>& table_descriptions,
    const std::vector<std::pair<std::string, std::string>>& field_descriptions);

}  // namespace airpg::pg
