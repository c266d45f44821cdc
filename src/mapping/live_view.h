// LiveView: the view of a mirrored table's live rows — every row Airtable
// still has (`deleted_at IS NULL`), with the table's id, airtable_id, field
// columns and Airtable times, without tombstones and airpg's own bookkeeping.
// Named `<table>_live` in the base's schema (TablePlan::live_view; the naming
// rule is in docs/type-mapping.md). Migrate creates it with the schema; the
// sync drops and recreates it around every schema change, in the same DDL
// transaction, since a view pins the columns it reads. A simple view, so
// Postgres can update through it. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mapping/schema_plan.h"

namespace airpg::mapping {

// The columns the view shows, in order.
std::vector<std::string> LiveViewColumns(const TablePlan& table);

// CREATE VIEW for the table's live rows. REQUIRES: table.live_view is set.
std::string CreateLiveViewSql(const TablePlan& table, std::string_view schema);

// DROP VIEW IF EXISTS, so a schema change can alter the columns it reads.
std::string DropLiveViewSql(const TablePlan& table, std::string_view schema);

}  // namespace airpg::mapping
