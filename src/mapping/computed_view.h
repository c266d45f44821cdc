// ComputedView: formula, lookup, rollup and count fields computed by
// Postgres, so they stay right when rows are written in Postgres (issue 18).
// Each mirrored table gets a view `S.<table>_computed`: the table's columns,
// with every computed field Postgres can compute exactly replaced by its SQL
// expression (formulas through src/formula's compiler; lookups, rollups and
// counts as correlated subqueries over the FK columns and ordered
// junctions). A view, not generated columns: a lookup or rollup reads other
// rows, which no generated column may, and a view is current without any
// trigger; reading 100 rows evaluates the expressions for those rows only.
// Fields that cannot be computed keep the stored column (Airtable's value)
// and are named with their reason. Pure; plans are immutable values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mapping/computed_cache.h"
#include "mapping/schema_plan.h"

namespace airpg::mapping {

// One computed field Postgres computes: its value, typed as the field's
// column, over the table's row aliased "t" and the laterals.
struct ComputedColumn {
  std::string field_id;
  std::string column_name;
  std::string sql;
  // A formula that divides by a field: the condition under which its cell
  // is #ERROR! (computed_division.h), for airpg_cell_errors; else "".
  std::string error_sql;
};

// A computed field that stays Airtable-computed (the stored column), and why.
struct NotComputedField {
  std::string table_id;
  std::string table_name;
  std::string field_id;
  std::string field_name;
  std::string type_name;
  std::string reason;
};

// A subquery evaluated once per row of the view, `LEFT JOIN LATERAL (sql)
// AS name`: a link's rows with every aggregate the table's lookups,
// rollups and counts take of them, or one computed field's value `v`. Later
// ones may read earlier ones; OFFSET 0 keeps the planner from folding a
// field's subquery back into every expression that reads it.
// With `relation` set, the row of that cache table (computed_cache.h) for
// the view's row instead: `LEFT JOIN relation AS name ON name.id = t.id`.
struct ComputedLateral {
  std::string name;
  std::string sql;  // a SELECT
  std::string relation;
};

struct ComputedTable {
  std::string table_id;
  std::string table_name;
  std::string view_name;
  std::vector<ComputedColumn> columns;
  std::vector<ComputedLateral> laterals;  // in dependency order
  std::vector<ComputedCache> caches;      // the cache tables its laterals read
};

struct ComputedPlan {
  std::vector<ComputedTable> tables;  // every table of the plan, in plan order
  std::vector<NotComputedField> not_computed;
  // Lookups, rollups and counts computed over every linked record: Airtable
  // can limit them to linked records that meet conditions, and its API does
  // not say so (neither Meta API options nor a field's fixture carry them),
  // so a conditional one computed here would differ. `reason` says this.
  std::vector<NotComputedField> unconditional;
};

// The name the view beside `table_name` asks for: "<table>_computed", cut
// (at a UTF-8 boundary) to fit 63 bytes. PlanSchema gives each table its
// view's name (TablePlan::computed_view) from the pool of the `_live` views,
// so a table called "<table>_computed" keeps its name and the view moves
// aside ("<table>_computed_2").
std::string ComputedViewName(std::string_view table_name);

// Which computed fields of `plan` Postgres computes, relations named in
// `schema` (the schema the views are created in).
ComputedPlan PlanComputed(const SchemaPlan& plan, std::string_view schema);

// The schema's caches dropped, then DROP VIEW IF EXISTS + the caches each
// view reads + CREATE VIEW, for every table in plan order. Literals
// of the formulas are inlined as quoted SQL literals (a view has no
// parameters); identifiers are quoted.
std::vector<std::string> ComputedViewDdl(const SchemaPlan& plan, const ComputedPlan& computed,
                                         std::string_view schema);

// "field \"Name\" (fld…) in table: reason" lines, for `airpg schema plan`.
std::vector<std::string> NotComputedLines(const ComputedPlan& computed);

// The same for `unconditional`: "table.Field (fld…, type): reason".
std::vector<std::string> UnconditionalLines(const ComputedPlan& computed);

}  // namespace airpg::mapping
