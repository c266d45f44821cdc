#include "mapping/schema_plan.h"

#include <fmt/core.h>

#include "mapping/computed_view.h"
#include "mapping/naming.h"

namespace airpg::mapping {
namespace {

using airtable::FieldType;

template <typename Map>
const std::string* Known(const Map& map, std::string_view id) {
  auto it = map.find(id);
  return it == map.end() ? nullptr : &it->second;
}

Result<std::vector<const airtable::Table*>> SelectTables(const airtable::BaseSchema& schema,
                                                         const std::vector<std::string>& wanted) {
  std::vector<const airtable::Table*> out;
  if (wanted.empty()) {
    for (const auto& t : schema.tables) out.push_back(&t);
    return out;
  }
  for (const auto& t : schema.tables) {
    for (const auto& w : wanted) {
      if (w == t.id || w == t.name) {
        out.push_back(&t);
        break;
      }
    }
  }
  for (const auto& w : wanted) {
    if (schema.FindTable(w) == nullptr)
      return InvalidArgumentError(fmt::format("no table \"{}\" in the base", w));
  }
  return out;
}

bool IsLink(const FieldPlan& f) {
  return f.column.storage == Storage::kForeignKey || f.column.storage == Storage::kJunction;
}

// Which side of a link pair owns the storage: a single-record side owns an FK
// over a multi-record side; otherwise the smaller field id (deterministic).
bool OwnsPair(const FieldPlan& f, bool f_single, const FieldPlan& g, bool g_single) {
  if (f_single != g_single) return f_single;
  return f.field.id < g.field.id;
}

void PlanLinks(SchemaPlan& plan) {
  // The rules' own choice per link field, before roles rewrite inverse sides.
  std::map<std::string, bool, std::less<>> single;
  for (const auto& table : plan.tables) {
    for (const auto& f : table.fields) {
      if (IsLink(f)) single[f.field.id] = f.column.storage == Storage::kForeignKey;
    }
  }
  for (auto& table : plan.tables) {
    for (auto& f : table.fields) {
      if (!IsLink(f)) continue;
      auto options = ParseFieldOptions(f.field.options_json);
      f.linked_table_id = options.ok() ? options->linked_table_id : "";
      std::string inverse = options.ok() ? options->inverse_link_field_id : "";
      if (plan.FindTable(f.linked_table_id) == nullptr) {
        f.link_role = LinkRole::kUnlinkedIds;
        f.column.storage = Storage::kColumn;
        f.column.sql_type = "text[]";
        f.column.cell = &TextConverter();
        f.column.cell_array = true;
        f.column.rule = "link to a table not migrated";
        f.column.warning = fmt::format(
            "link field \"{}\" points to table {}, which is not migrated; its record ids are kept "
            "as text[]",
            f.field.name, f.linked_table_id);
        plan.warnings.push_back(f.column.warning);
        continue;
      }
      auto [linked_table, g] = plan.FindField(inverse);
      bool f_single = single.at(f.field.id);
      if (g == nullptr || linked_table->table_id != f.linked_table_id ||
          single.count(g->field.id) == 0) {
        f.link_role = f_single ? LinkRole::kForeignKey : LinkRole::kJunction;
        continue;
      }
      bool g_single = single.at(g->field.id);
      f.inverse_field_id = inverse;
      if (OwnsPair(f, f_single, *g, g_single)) {
        f.link_role = f_single ? LinkRole::kForeignKey : LinkRole::kJunction;
      } else {
        f.link_role = g_single ? LinkRole::kForeignKeyInverse : LinkRole::kJunctionInverse;
        f.column.storage = g_single ? Storage::kForeignKey : Storage::kJunction;
        f.column.sql_type.clear();
      }
    }
  }
}

// Junction, choices and collaborator tables share the schema's name scope.
void PlanRelationTables(SchemaPlan& plan, const KnownNames& known, NameScope& scope) {
  for (auto& table : plan.tables) {
    for (auto& f : table.fields) {
      std::string suffix;
      if (f.link_role == LinkRole::kJunction || f.column.storage == Storage::kUserJunction) {
        suffix = "";
      } else if (f.column.storage == Storage::kChoice) {
        suffix = "_choices";
      } else {
        continue;
      }
      if (const std::string* name = Known(known.relation_tables, f.field.id)) {
        f.relation_table = *name;
      } else {
        f.relation_table = scope.Take(table.table_name + "__" + f.column_name + suffix);
      }
    }
  }
  for (auto& table : plan.tables) {
    for (auto& f : table.fields) {
      if (f.link_role != LinkRole::kJunctionInverse) continue;
      f.relation_table = plan.FindField(f.inverse_field_id).second->relation_table;
    }
  }
}

// Names the fields' columns in field order; names the catalog gave are kept.
void PlanColumnNames(TablePlan& table, const KnownNames& known) {
  NameScope columns(BookkeepingColumns());
  if (auto reserved = known.reserved_columns.find(table.table_id);
      reserved != known.reserved_columns.end()) {
    for (const auto& name : reserved->second) columns.Keep(name);
  }
  for (const auto& f : table.fields) {
    if (const std::string* name = Known(known.columns, f.field.id)) columns.Keep(*name);
  }
  for (auto& f : table.fields) {
    const std::string* known_column = Known(known.columns, f.field.id);
    f.column_name =
        known_column
            ? *known_column
            : columns.Take(ColumnNameCandidate(f.field.name, f.link_role == LinkRole::kForeignKey));
  }
}

// The first lastModifiedTime field that watches every field with a dateTime
// result: Airtable's record-level last modified time (the REST API has no
// other; a date result has lost the time of day).
std::string ModifiedTimeField(const TablePlan& table) {
  for (const auto& f : table.fields) {
    if (f.field.type != FieldType::kLastModifiedTime) continue;
    Result<FieldOptions> options = ParseFieldOptions(f.field.options_json);
    if (options.ok() && options->is_valid && options->referenced_fields == 0 &&
        options->result_type != "date") {
      return f.field.id;
    }
  }
  return "";
}

// Live views take `<table>_live`, then computed views `<table>_computed`,
// the first free one among the tables and relation tables (a table always
// keeps its name; the view moves aside). Views are not catalogued: the plan
// names them afresh every time, so a view's own name in the live schema
// never pushes it aside.
void PlanLiveViews(SchemaPlan& plan, const KnownNames& known) {
  NameScope scope;
  for (const auto& [id, name] : known.tables) scope.Keep(name);
  for (const auto& [id, name] : known.relation_tables) scope.Keep(name);
  for (const auto& table : plan.tables) {
    scope.Keep(table.table_name);
    for (const auto& f : table.fields) {
      if (!f.relation_table.empty()) scope.Keep(f.relation_table);
    }
  }
  for (auto& table : plan.tables) table.live_view = scope.Take(LiveViewCandidate(table.table_name));
  // Then the computed views (issue 18), so the live views keep their names.
  for (auto& table : plan.tables) {
    table.computed_view = scope.Take(ComputedViewName(table.table_name));
  }
}

}  // namespace

bool FieldPlan::HasColumn() const {
  switch (column.storage) {
    case Storage::kColumn:
    case Storage::kChoice:
    case Storage::kChoiceArray:
    case Storage::kUser:
      return true;
    case Storage::kForeignKey:
      return link_role == LinkRole::kForeignKey;
    case Storage::kJunction:
    case Storage::kUserJunction:
    case Storage::kAttachments:
      return false;
  }
  return false;
}

const FieldPlan* TablePlan::FindField(std::string_view field_id) const {
  for (const auto& f : fields) {
    if (f.field.id == field_id) return &f;
  }
  return nullptr;
}

const TablePlan* SchemaPlan::FindTable(std::string_view table_id) const {
  for (const auto& t : tables) {
    if (t.table_id == table_id) return &t;
  }
  return nullptr;
}

std::pair<const TablePlan*, const FieldPlan*> SchemaPlan::FindField(
    std::string_view field_id) const {
  for (const auto& t : tables) {
    if (const FieldPlan* f = t.FindField(field_id)) return {&t, f};
  }
  return {nullptr, nullptr};
}

Result<SchemaPlan> PlanSchema(const airtable::BaseSchema& schema, const KnownNames& known,
                              const std::vector<std::string>& tables) {
  AIRPG_ASSIGN_OR_RETURN(auto selected, SelectTables(schema, tables));
  SchemaPlan plan;
  NameScope schema_scope;
  for (const auto& [id, name] : known.tables) schema_scope.Keep(name);
  for (const auto& [id, name] : known.relation_tables) schema_scope.Keep(name);
  for (const auto& name : known.reserved_relations) schema_scope.Keep(name);
  for (const airtable::Table* t : selected) {
    TablePlan table;
    table.table_id = t->id;
    table.airtable_name = t->name;
    table.description = t->description;
    table.primary_field_id = t->primary_field_id;
    const std::string* known_table = Known(known.tables, t->id);
    table.table_name =
        known_table ? *known_table : schema_scope.Take(SnakeCase(t->name, "t_", "table"));
    for (const auto& f : t->fields) {
      FieldPlan field;
      field.field = f;
      auto column = PlanField(f);
      if (!column.ok()) {
        return Status(column.status().code(),
                      fmt::format("field \"{}\" of table \"{}\": {}", f.name, t->name,
                                  column.status().message()));
      }
      field.column = *std::move(column);
      if (!field.column.warning.empty()) plan.warnings.push_back(field.column.warning);
      table.fields.push_back(std::move(field));
    }
    plan.tables.push_back(std::move(table));
  }
  PlanLinks(plan);
  // Columns are named once the links have their roles: a single-record
  // link's foreign key is `<field>_id`.
  for (auto& table : plan.tables) {
    PlanColumnNames(table, known);
    table.modified_time_field_id = ModifiedTimeField(table);
  }
  PlanRelationTables(plan, known, schema_scope);
  PlanLiveViews(plan, known);
  return plan;
}

}  // namespace airpg::mapping
