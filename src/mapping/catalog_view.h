// CatalogView: what the airpg catalog says a mirrored base looks like — the
// tables and fields as last applied (airpg.tables/fields, each field with its
// Airtable type and options, its column and storage, removed or not) and the
// names its live Postgres schema holds now. sync reads it (pg/catalog_rows.h
// → this) to plan the live schema and to diff it against Airtable's schema
// (schema_diff.h). Plain values; pure functions; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "airtable/schema.h"
#include "mapping/schema_plan.h"

namespace airpg::mapping {

struct CatalogField {
  std::string field_id;
  std::string table_id;
  std::string airtable_name;
  std::string type_name;
  std::string options_json;  // as stored (jsonb text); "" for none
  std::string storage;       // StorageName
  std::string column_name;
  std::string sql_type;
  std::string relation_table;  // "" for none
  std::string description;
  bool removed = false;  // deleted in Airtable; its column was kept
};

struct CatalogTable {
  std::string table_id;
  std::string airtable_name;
  std::string table_name;
  std::string description;
  std::string primary_field_id;
  std::vector<std::string> columns;  // the live table's columns now
};

struct CatalogView {
  std::string schema;  // the live schema
  std::vector<CatalogTable> tables;
  std::vector<CatalogField> fields;
  std::vector<std::string> relations;  // every relation name in the live schema

  const CatalogTable* FindTable(std::string_view table_id) const;
  const CatalogField* FindField(std::string_view field_id) const;
};

// The catalog's rows as read from Postgres (pg::CatalogRows, which mapping
// may not name: it sits below pg) as the view. The one conversion every
// reader of the catalog uses (sync/live_schema.cc, api/api_base.cc); a
// template over the rows' type, so the layers stay as they are.
template <class CatalogRows>
CatalogView CatalogViewOf(CatalogRows rows) {
  CatalogView view;
  view.schema = std::move(rows.schema_name);
  for (auto& t : rows.tables) {
    view.tables.push_back({std::move(t.table_id), std::move(t.airtable_name),
                           std::move(t.table_name), std::move(t.description),
                           std::move(t.primary_field_id), std::move(t.columns)});
  }
  for (auto& f : rows.fields) {
    CatalogField field;
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
    field.description = std::move(f.description);
    view.fields.push_back(std::move(field));
  }
  view.relations = std::move(rows.relations);
  return view;
}

// The field as Airtable described it when the catalog last recorded it.
airtable::Field CatalogAirtableField(const CatalogField& field);

// The base's schema as the catalog last recorded it: every catalog table and
// its fields that are not removed. Planned with KnownNamesOf, it gives the
// columns as they are (mapping's rules being the same as when they were made).
airtable::BaseSchema CatalogSchema(const CatalogView& view);

// Every name the catalog gave, and every name the live schema holds (kept
// columns, old relations) reserved so a new table, field or relation takes
// none of them.
KnownNames KnownNamesOf(const CatalogView& view);

}  // namespace airpg::mapping
