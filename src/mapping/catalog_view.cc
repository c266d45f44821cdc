#include "mapping/catalog_view.h"

namespace airpg::mapping {

const CatalogTable* CatalogView::FindTable(std::string_view table_id) const {
  for (const auto& t : tables) {
    if (t.table_id == table_id) return &t;
  }
  return nullptr;
}

const CatalogField* CatalogView::FindField(std::string_view field_id) const {
  for (const auto& f : fields) {
    if (f.field_id == field_id) return &f;
  }
  return nullptr;
}

airtable::Field CatalogAirtableField(const CatalogField& field) {
  airtable::Field f;
  f.id = field.field_id;
  f.name = field.airtable_name;
  f.type_name = field.type_name;
  f.type = airtable::ParseFieldType(field.type_name);
  f.options_json = field.options_json;
  f.description = field.description;
  return f;
}

airtable::BaseSchema CatalogSchema(const CatalogView& view) {
  airtable::BaseSchema schema;
  for (const auto& t : view.tables) {
    airtable::Table table;
    table.id = t.table_id;
    table.name = t.airtable_name;
    table.description = t.description;
    table.primary_field_id = t.primary_field_id;
    for (const auto& f : view.fields) {
      if (f.table_id == t.table_id && !f.removed) table.fields.push_back(CatalogAirtableField(f));
    }
    schema.tables.push_back(std::move(table));
  }
  return schema;
}

KnownNames KnownNamesOf(const CatalogView& view) {
  KnownNames known;
  for (const auto& t : view.tables) {
    known.tables[t.table_id] = t.table_name;
    known.reserved_relations.insert(t.table_name);
    known.reserved_columns[t.table_id].insert(t.columns.begin(), t.columns.end());
  }
  for (const auto& f : view.fields) {
    known.columns[f.field_id] = f.column_name;
    known.reserved_columns[f.table_id].insert(f.column_name);
    if (!f.relation_table.empty()) {
      known.relation_tables[f.field_id] = f.relation_table;
      known.reserved_relations.insert(f.relation_table);
    }
  }
  known.reserved_relations.insert(view.relations.begin(), view.relations.end());
  return known;
}

}  // namespace airpg::mapping
