// SchemaDiff: what changed in a base's Airtable schema since the catalog last
// recorded it, and what each change means in Postgres — a field added,
// renamed (identity is the fld… id: the column is renamed, never replaced),
// given a type its column cannot hold (the column is kept as `<col>__v<k>`
// and a new one added), removed (its column kept) or restored; a table
// renamed; and, reported only, tables added or removed and any change that
// would move the storage of a link pair (those need `airpg migrate`).
// The sync applies the result (sync/schema_sync.h). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "airtable/schema.h"
#include "base/result.h"
#include "mapping/catalog_view.h"
#include "mapping/schema_plan.h"

namespace airpg::mapping {

enum class ChangeKind {
  kTableAdded,    // reported only: a new table needs a migration
  kTableRenamed,  // the table is renamed to the new name's snake_case
  kTableRemoved,  // reported only: the Postgres table is kept as it is
  kFieldAdded,
  kFieldRenamed,
  kFieldRetyped,         // the column changes: the old one is kept, a new one added
  kFieldOptionsChanged,  // type or options changed, the column did not: catalog only
  kFieldRemoved,         // the column is kept (or dropped, as the sync is configured)
  kFieldRestored,        // back from Airtable's trash: its kept column is live again
};

std::string_view ChangeKindName(ChangeKind kind);  // "field_added", …

struct SchemaChange {
  ChangeKind kind = ChangeKind::kFieldAdded;
  std::string table_id;
  std::string field_id;     // "" for table changes
  std::string description;  // for people, and airpg.schema_versions.change
  bool applies = true;      // false: reported only; `description` says why
  bool reread = false;      // once applied, the table must be read again in full
  // Renames: the Postgres name before and after (equal when only the
  // Airtable name changed). Retypes: old_name is the column, new_name what
  // it is kept as ("" when the old storage had no column of its own).
  std::string old_name;
  std::string new_name;
  // Retypes: the junction or choices table the old storage owned, kept as it is.
  std::string old_relation_table;
};

struct SchemaDiff {
  std::vector<SchemaChange> changes;  // in the order they are applied
  SchemaPlan before;                  // the catalog's plan: the live columns
  SchemaPlan after;                   // once every applicable change is applied
  std::vector<std::string> warnings;  // columns the rules would now plan otherwise

  bool HasApplicable() const;
};

// `current` is the whole base as the Meta API sends it. Field options are
// compared as JSON values, so key order and spacing do not matter. Bad
// options JSON in a field is kInvalidArgument (as in PlanSchema).
Result<SchemaDiff> DiffSchema(const CatalogView& catalog, const airtable::BaseSchema& current);

}  // namespace airpg::mapping
