// LiveView: the view of a mirrored table's live rows — every row Airtable
// still has (`deleted_at IS NULL`), with the table's id, airtable_id, the two
// Airtable times and the field columns, without tombstones and airpg's own
// bookkeeping. Named `<table>_live` in the base's schema (TablePlan::
// live_view; the naming rule is in docs/type-mapping.md). Migrate creates it
// with the schema; the sync keeps it right through every schema change, in
// the same DDL transaction (LiveViewUpkeep). A simple view, so Postgres can
// update through it. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mapping/schema_plan.h"

namespace airpg::mapping {

// The columns the view shows, in order: id, airtable_id,
// airtable_created_time, airtable_modified_time, then the field columns in
// field order (so a new field's column comes last).
std::vector<std::string> LiveViewColumns(const TablePlan& table);

// CREATE [OR REPLACE] VIEW for the table's live rows. REQUIRES: table.live_view is set.
std::string CreateLiveViewSql(const TablePlan& table, std::string_view schema,
                              bool or_replace = false);

// DROP VIEW IF EXISTS.
std::string DropLiveViewSql(const TablePlan& table, std::string_view schema);

// What a schema change does to one table's view. A view pins the columns it
// reads, so it goes before a change that drops or retypes one of them, and
// comes back after. Otherwise it is kept — views people built on it keep
// working — and only altered: renamed with its table, its columns renamed
// with their fields, new fields' columns appended (CREATE OR REPLACE).
struct LiveViewUpkeep {
  std::vector<std::string> before;  // run before the change's DDL
  std::vector<std::string> after;   // run after it
};

// `before`/`after`: the table in the plans before and after the change;
// null when the table is not in that plan. `view_columns`: the columns the
// view has now, in order (empty when it does not exist): a kept view keeps
// their order, whatever order the plans list the fields in.
LiveViewUpkeep PlanLiveViewUpkeep(const TablePlan* before, const TablePlan* after,
                                  std::string_view schema,
                                  const std::vector<std::string>& view_columns);

}  // namespace airpg::mapping
