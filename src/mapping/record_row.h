// RecordRow: one Airtable record (REST form, cells keyed by field id) as what
// it becomes in Postgres under a table's plan — the values of the table's own
// columns, and the references its relation-stored cells hold (links,
// collaborators, attachments). The migrate loader COPYs these rows into a
// staging schema; the sync upserts them into the live one; both read this one
// conversion, so a record lands the same way whichever path brings it.
// A cell that cannot be carried exactly becomes a CellReject with a reason
// (the column gets NULL, or its default when NOT NULL) and the rest of the
// record still converts. Pure and thread-safe.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "airtable/record.h"
#include "mapping/cell_value.h"
#include "mapping/relation_cells.h"
#include "mapping/schema_plan.h"

namespace airpg::mapping {

// One reference of a relation cell, in cell order: a linked record id (FK or
// junction fields) or a collaborator id (collaborator junctions).
struct CellReference {
  std::string field_id;
  int position = 0;
  std::string target;  // rec… or usr…
};

struct CellAttachment {
  std::string field_id;
  int position = 0;
  Attachment attachment;
};

struct CellReject {
  std::string field_id;
  std::optional<std::string> raw_value;  // the cell's JSON; nullopt when absent
  std::string reason;
};

struct RecordRow {
  std::string record_id;
  std::string created_time;  // "" when Airtable sent none
  // From the table's modified_time_field_id cell (schema_plan.h); "" when
  // the table has no such field or the cell is empty.
  std::string modified_time;
  // One value per ColumnFields(table) entry, in that order.
  std::vector<PgValue> columns;
  std::vector<CellReference> references;
  // Links a single-record link held beyond its first (rejected with the cell):
  // the inverse cells of those targets list this record in Airtable only.
  std::vector<CellReference> dropped_links;
  std::vector<Collaborator> users;  // every collaborator seen in the record's cells
  std::vector<CellAttachment> attachments;
  std::vector<CellReject> rejects;
  // Formula errors of computed cells, as a JSON object {field id: error};
  // nullopt when none. Written to the row's airpg_cell_errors column.
  std::optional<std::string> cell_errors;
  std::set<std::string, std::less<>> rejected_fields;

  void Reject(std::string field_id, std::optional<std::string_view> cell, std::string reason);
};

// The fields whose cell is the table's own column (in column order); with
// "airtable_id" first and "airtable_created_time", "airtable_modified_time",
// "airpg_cell_errors" last
// they are the columns LoadColumns (ddl.h) names. Single-record links are not among them: their FK
// column is filled from the references once the target rows exist.
std::vector<const FieldPlan*> ColumnFields(const TablePlan& table);

RecordRow ConvertRecord(const TablePlan& table, const airtable::Record& record);

// The airpg_cell_errors object for (field id, canonical error JSON) pairs,
// and back: field id → canonical error JSON (jsonb's spelling of it does not
// matter). Not an object of JSON values is kInvalidArgument.
std::string CellErrorsJson(
    const std::vector<std::pair<std::string_view, std::string_view>>& errors);
Result<std::map<std::string, std::string, std::less<>>> ParseCellErrors(std::string_view json);

}  // namespace airpg::mapping
