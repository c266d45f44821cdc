// ChangeDdl: the statements that apply one SchemaChange (schema_diff.h) to a
// base's live schema, built from the same per-field pieces a migration uses
// (field_ddl.h), so a field added while syncing looks exactly as if it had
// been migrated. Identifiers are quoted here; comment texts stay values.
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mapping/field_ddl.h"
#include "mapping/schema_diff.h"

namespace airpg::mapping {

struct ChangeDdlOptions {
  // A removed field: drop its column and the relation it owns instead of
  // keeping them (marked in their COMMENT and airpg.fields.removed_at).
  bool drop_removed = false;
};

struct ChangeDdl {
  std::vector<std::string> statements;  // run in order
  std::vector<Comment> comments;        // set after the statements
};

// REQUIRES: `change` is one of `diff.changes` and applies. An added field
// gets a nullable column (existing rows have no value yet; the rules' CHECKs
// hold for NULL, and a checkbox's NOT NULL comes with its DEFAULT false),
// plus the junction, choices or collaborator table a migration would give
// it. A retyped field's column is renamed to change.new_name and a column of
// the new type added under the old name. A kFieldOptionsChanged has no DDL.
ChangeDdl BuildChangeDdl(const SchemaDiff& diff, const SchemaChange& change,
                         std::string_view schema, const ChangeDdlOptions& options = {});

// The statements and comments as one script, for airpg.schema_versions.ddl.
std::string RenderChangeDdl(const ChangeDdl& ddl, std::string_view schema);

}  // namespace airpg::mapping
