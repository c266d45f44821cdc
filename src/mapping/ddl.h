// DDL for a SchemaPlan: the statements that create a base's schema, in the
// order a bulk load wants them — bare tables first (COPY is fastest without
// indexes and constraints), then keys, checks, foreign keys and indexes,
// then each table's live-rows view (live_view.h), then comments and audit
// triggers. Identifiers are quoted here; the only values (comment texts)
// are kept apart so the executor binds them as parameters. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mapping/field_ddl.h"
#include "mapping/schema_plan.h"

namespace airpg::mapping {

struct SchemaDdl {
  std::vector<std::string> create;  // CREATE TABLE … (no keys or constraints)
  std::vector<std::string> finish;  // keys, CHECKs, FKs, indexes, live-rows views
  std::vector<Comment> comments;
  std::vector<std::string> audit;  // one audit trigger per table
};

SchemaDdl BuildSchemaDdl(const SchemaPlan& plan, std::string_view schema);

// The COMMENT ON COLUMN of every bookkeeping column (naming.h's
// BookkeepingColumns) of a mirrored table.
std::vector<Comment> BookkeepingComments(std::string_view table);

// "Airtable table \"Name\" (tbl…): description", the table's COMMENT.
std::string TableCommentText(const TablePlan& table);

// The whole DDL as one script a person can read or apply with psql
// (CREATE SCHEMA first, comments as COMMENT ON … IS '…').
std::string RenderDdlScript(const SchemaDdl& ddl, std::string_view schema);

// The columns a mirrored table's COPY fills, in order: airtable_id, the
// field columns (FieldPlan::HasColumn, plan order) except foreign keys,
// which are set once every table is in, then airtable_created_time,
// airtable_modified_time (RecordRow::modified_time) and airpg_cell_errors
// (RecordRow::cell_errors).
std::vector<std::string> LoadColumns(const TablePlan& table);

}  // namespace airpg::mapping
