// FieldDdl: the DDL one field contributes to its table — its column, CHECKs,
// foreign keys, indexes, comments, and the junction or choices table it owns —
// split by when a bulk load wants each part. ddl.cc assembles a whole schema
// from these; schema_change_ddl.cc adds one field to a live table with them,
// so a field added while syncing gets exactly what a migration would give it.
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mapping/schema_plan.h"

namespace airpg::mapping {

// COMMENT ON TABLE (column empty) or COLUMN, with the Airtable name, id and
// description. The text is a value: executors bind it as a parameter.
struct Comment {
  std::string table;
  std::string column;
  std::string text;
};

struct FieldDdl {
  std::string column;                        // `"col" type [NOT NULL DEFAULT …]`; "" if none
  std::vector<std::string> checks;           // clauses of the table's ALTER: ADD CHECK (…)
  std::vector<std::string> references;       // clauses of the table's ALTER: ADD FOREIGN KEY …
  std::vector<std::string> relation_create;  // CREATE TABLE of the junction or choices table
  std::vector<std::string> relation_finish;  // that table's keys and foreign keys
  std::vector<std::string> indexes;
  std::vector<Comment> comments;
  std::vector<std::string> audit;  // the relation table's audit trigger
};

// REQUIRES: `table` and `field` belong to `plan`.
FieldDdl BuildFieldDdl(const SchemaPlan& plan, const TablePlan& table, const FieldPlan& field,
                       std::string_view schema);

// The comments the field's DDL sets (column, and the relation it owns), plus,
// for the inverse side of a junction, the junction's own comment (it names
// both fields).
std::vector<Comment> FieldComments(const SchemaPlan& plan, const TablePlan& table,
                                   const FieldPlan& field, std::string_view schema);

// The junction, choices or collaborator table the field's storage owns; ""
// for none (the inverse side of a junction reads its owner's).
std::string OwnedRelationTable(const FieldPlan& field);

// "Airtable field \"Name\" (fld…, type): description".
std::string FieldCommentText(const FieldPlan& field);

// COMMENT ON … IS '…' for a script people read (executors bind the text).
std::string CommentSql(std::string_view schema, const Comment& comment);

// The audit trigger every mirrored and relation table carries.
std::string AuditTriggerSql(std::string_view schema, std::string_view table);

}  // namespace airpg::mapping
