// SchemaPlan: where every table and field of a base lives in Postgres —
// table and column names, the storage each field's rule chose, and how the
// two sides of a link share one relation. It is computed once per run from
// the Airtable schema and the names the catalog already gave (names, once
// given, are kept: identity is the tbl…/fld… id). DDL (ddl.h), the loader and
// the verifier all read this one plan. Pure; plans are immutable values.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "airtable/schema.h"
#include "base/result.h"
#include "mapping/type_rules.h"

namespace airpg::mapping {

// How a link field takes part in its pair. One side owns the storage; the
// inverse side reads the same relation, never a second copy.
enum class LinkRole {
  kNone,               // not a link
  kForeignKey,         // single-record link: this table's FK column
  kForeignKeyInverse,  // the other side of an FK: rows referencing this one (order not kept)
  kJunction,           // owns the junction (from_id = this table)
  kJunctionInverse,    // the inverse side of a junction (to_id = this table)
  kUnlinkedIds,        // the linked table is not migrated: the record ids as text[]
};

struct FieldPlan {
  airtable::Field field;
  ColumnPlan column;
  // The column; for fields stored elsewhere the name is still reserved so it
  // stays stable if the storage changes.
  std::string column_name;
  // Junction, choices or collaborator junction table in the schema; "" if none.
  std::string relation_table;
  LinkRole link_role = LinkRole::kNone;
  std::string linked_table_id;
  std::string inverse_field_id;  // the other side of the link pair, "" if none

  // Whether a cell of this field becomes the table's own column.
  bool HasColumn() const;
};

struct TablePlan {
  std::string table_id;
  std::string airtable_name;
  std::string description;
  std::string primary_field_id;
  std::string table_name;
  // The view of the table's live rows (live_view.h); not catalogued, named
  // afresh by every plan.
  std::string live_view;
  // The view of its computed fields (computed_view.h), named from the same
  // pool as the live views, after them, so it never takes a table's name.
  std::string computed_view;
  // The lastModifiedTime field whose value is the record's last modified
  // time (it watches every field and shows the instant): the source of
  // airtable_modified_time; "" when the table has none.
  std::string modified_time_field_id;
  std::vector<FieldPlan> fields;

  const FieldPlan* FindField(std::string_view field_id) const;
};

struct SchemaPlan {
  std::vector<TablePlan> tables;
  std::vector<std::string> warnings;

  const TablePlan* FindTable(std::string_view table_id) const;
  // The field and the table it is in, by field id; {nullptr, nullptr} if absent.
  std::pair<const TablePlan*, const FieldPlan*> FindField(std::string_view field_id) const;
};

// Names the catalog already gave, by tbl…/fld… id (and fld… id → relation table).
struct KnownNames {
  std::map<std::string, std::string, std::less<>> tables;
  std::map<std::string, std::string, std::less<>> columns;
  std::map<std::string, std::string, std::less<>> relation_tables;
  // Names in use that no planned table or field holds, never given to a new
  // one: by tbl… id, the columns a live table keeps (a removed field's, a
  // column kept after a type change); and the relations of the live schema.
  std::map<std::string, std::set<std::string>, std::less<>> reserved_columns;
  std::set<std::string> reserved_relations;
};

// Plans `tables` (all of the base when empty; ids or names) of `schema`.
// Links to a table outside the selection keep their record ids (text[]) with
// a warning. Unknown table names in `tables` are kInvalidArgument.
Result<SchemaPlan> PlanSchema(const airtable::BaseSchema& schema, const KnownNames& known,
                              const std::vector<std::string>& tables = {});

}  // namespace airpg::mapping
