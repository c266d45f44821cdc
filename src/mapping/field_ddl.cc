#include "mapping/field_ddl.h"

#include <fmt/core.h>

#include "base/sql_identifier.h"

namespace airpg::mapping {
namespace {

std::string Check(std::string check, std::string_view column) {
  std::string quoted = QuoteIdentifier(column);
  for (size_t at = check.find("{col}"); at != std::string::npos; at = check.find("{col}", at)) {
    check.replace(at, 5, quoted);
    at += quoted.size();
  }
  return check;
}

std::string Index(std::string_view schema, std::string_view table, std::string_view quoted_column,
                  std::string_view method) {
  return fmt::format("CREATE INDEX ON {}{} ({})", QualifiedName(schema, table),
                     method.empty() ? "" : fmt::format(" USING {}", method), quoted_column);
}

std::string JunctionComment(const SchemaPlan& plan, const TablePlan& t, const FieldPlan& f) {
  std::string text = fmt::format("Links of {}.{} ({})", t.airtable_name, f.field.name, f.field.id);
  if (!f.inverse_field_id.empty()) {
    auto [inv_table, inv] = plan.FindField(f.inverse_field_id);
    if (inv != nullptr) {
      text += fmt::format(" and its inverse {}.{} ({})", inv_table->airtable_name, inv->field.name,
                          inv->field.id);
    }
  }
  return text;
}

// A number's precision is display only (the column keeps every digit); the
// comment says how Airtable shows it, as the catalog's options do.
std::string ColumnCommentText(const FieldPlan& f) {
  std::string text = FieldCommentText(f);
  if (f.column.cell != nullptr && f.column.cell->kind == CellKind::kNumber && !f.column.read_only) {
    Result<FieldOptions> options = ParseFieldOptions(f.field.options_json);
    if (options.ok() && options->precision >= 0) {
      text += fmt::format(" — shown with {} decimal{} in Airtable; stored with every digit",
                          options->precision, options->precision == 1 ? "" : "s");
    }
  }
  return text;
}

void AddColumn(const SchemaPlan& plan, const TablePlan& t, const FieldPlan& f,
               std::string_view schema, FieldDdl* out) {
  std::string col = QuoteIdentifier(f.column_name);
  out->column = fmt::format("{} {}", col, f.column.sql_type);
  if (f.column.not_null) out->column += " NOT NULL DEFAULT " + f.column.default_sql;
  if (!f.column.check.empty())
    out->checks.push_back(fmt::format("ADD CHECK ({})", Check(f.column.check, f.column_name)));
  switch (f.column.storage) {
    case Storage::kForeignKey: {
      const TablePlan* to = plan.FindTable(f.linked_table_id);
      out->references.push_back(
          fmt::format("ADD FOREIGN KEY ({}) REFERENCES {} (id) ON DELETE SET NULL DEFERRABLE "
                      "INITIALLY DEFERRED",
                      col, QualifiedName(schema, to->table_name)));
      out->indexes.push_back(Index(schema, t.table_name, col, ""));
      break;
    }
    // A single select has no foreign key to its choices: a choice may be
    // longer than any btree key holds (~2.7 kB), and a FK needs one on the
    // name. The loader and the sync insert every value into the choices
    // table, keyed by a surrogate and unique by a hash of the exact name.
    case Storage::kUser:
      out->references.push_back(
          fmt::format("ADD FOREIGN KEY ({}) REFERENCES airpg.users (user_id) DEFERRABLE "
                      "INITIALLY DEFERRED",
                      col));
      out->indexes.push_back(Index(schema, t.table_name, col, ""));
      break;
    default:
      break;
  }
  if (f.column.gin_index) out->indexes.push_back(Index(schema, t.table_name, col, "gin"));
  out->comments.push_back({t.table_name, f.column_name, ColumnCommentText(f)});
}

void AddRelation(const SchemaPlan& plan, const TablePlan& t, const FieldPlan& f,
                 std::string_view schema, FieldDdl* out) {
  std::string from = QualifiedName(schema, t.table_name);
  std::string j = QualifiedName(schema, f.relation_table);
  if (f.link_role == LinkRole::kJunction) {
    const TablePlan* to = plan.FindTable(f.linked_table_id);
    // position: order in this side's cell; inverse_position: in the inverse field's
    // cell. Either is NULL when only the other side had the link when it was read.
    out->relation_create.push_back(
        fmt::format("CREATE TABLE {} (\n  from_id bigint NOT NULL,\n  to_id bigint NOT NULL,\n"
                    "  position integer,\n  inverse_position integer\n)",
                    j));
    out->relation_finish.push_back(
        fmt::format("ALTER TABLE {}\n  ADD PRIMARY KEY (from_id, to_id),\n"
                    "  ADD FOREIGN KEY (from_id) REFERENCES {} (id) ON DELETE CASCADE DEFERRABLE "
                    "INITIALLY DEFERRED,\n"
                    "  ADD FOREIGN KEY (to_id) REFERENCES {} (id) ON DELETE CASCADE DEFERRABLE "
                    "INITIALLY DEFERRED",
                    j, from, QualifiedName(schema, to->table_name)));
    // The primary key (from_id, to_id) serves lookups by from_id; this one, by to_id.
    out->indexes.push_back(Index(schema, f.relation_table, "to_id", ""));
    out->comments.push_back({f.relation_table, "", JunctionComment(plan, t, f)});
    out->comments.push_back(
        {f.relation_table, "from_id", fmt::format("{}.id of the linking record", t.table_name)});
    out->comments.push_back(
        {f.relation_table, "to_id", fmt::format("{}.id of the linked record", to->table_name)});
    out->comments.push_back({f.relation_table, "position", "Order in the linking record's cell"});
    out->comments.push_back({f.relation_table, "inverse_position",
                             "Order in the linked record's inverse cell; NULL without one"});
    out->audit.push_back(AuditTriggerSql(schema, f.relation_table));
  } else if (f.column.storage == Storage::kUserJunction) {
    out->relation_create.push_back(
        fmt::format("CREATE TABLE {} (\n  record_id bigint NOT NULL,\n  user_id text NOT NULL,\n"
                    "  position integer NOT NULL\n)",
                    j));
    out->relation_finish.push_back(fmt::format(
        "ALTER TABLE {}\n  ADD PRIMARY KEY (record_id, user_id),\n"
        "  ADD FOREIGN KEY (record_id) REFERENCES {} (id) ON DELETE CASCADE DEFERRABLE "
        "INITIALLY DEFERRED,\n"
        "  ADD FOREIGN KEY (user_id) REFERENCES airpg.users (user_id) DEFERRABLE INITIALLY "
        "DEFERRED",
        j, from));
    // The primary key serves lookups by record; this one, by user.
    out->indexes.push_back(Index(schema, f.relation_table, "user_id", ""));
    out->comments.push_back({f.relation_table, "", FieldCommentText(f)});
    out->audit.push_back(AuditTriggerSql(schema, f.relation_table));
  } else if (f.column.storage == Storage::kChoice) {
    // Choices of any length (several kB): a surrogate key, and uniqueness by
    // a hash of the exact name, since a btree entry holds ~2.7 kB. Created
    // with the table, so the loader's ON CONFLICT DO NOTHING dedupes.
    out->relation_create.push_back(
        fmt::format("CREATE TABLE {} (\n  choice_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY "
                    "KEY,\n  name text NOT NULL,\n  airtable_choice_id text,\n"
                    "  color text,\n  position integer\n)",
                    j));
    out->relation_create.push_back(fmt::format("CREATE UNIQUE INDEX ON {} (md5(name))", j));
    out->comments.push_back({f.relation_table, "", "Choices of " + FieldCommentText(f)});
  }
}

}  // namespace

std::string OwnedRelationTable(const FieldPlan& f) {
  bool owns = f.link_role == LinkRole::kJunction || f.column.storage == Storage::kUserJunction ||
              f.column.storage == Storage::kChoice;
  return owns ? f.relation_table : "";
}

std::string FieldCommentText(const FieldPlan& f) {
  std::string text =
      fmt::format("Airtable field \"{}\" ({}, {})", f.field.name, f.field.id, f.field.type_name);
  if (!f.field.description.empty()) text += ": " + f.field.description;
  return text;
}

std::string CommentSql(std::string_view schema, const Comment& c) {
  if (c.column.empty()) {
    return fmt::format("COMMENT ON TABLE {} IS {}", QualifiedName(schema, c.table),
                       SqlStringLiteralForScript(c.text));
  }
  return fmt::format("COMMENT ON COLUMN {}.{} IS {}", QualifiedName(schema, c.table),
                     QuoteIdentifier(c.column), SqlStringLiteralForScript(c.text));
}

std::string AuditTriggerSql(std::string_view schema, std::string_view table) {
  return fmt::format(
      "CREATE TRIGGER airpg_audit AFTER INSERT OR UPDATE OR DELETE ON {} FOR EACH ROW "
      "EXECUTE FUNCTION airpg.audit_row()",
      QualifiedName(schema, table));
}

FieldDdl BuildFieldDdl(const SchemaPlan& plan, const TablePlan& table, const FieldPlan& field,
                       std::string_view schema) {
  FieldDdl out;
  if (field.HasColumn()) AddColumn(plan, table, field, schema, &out);
  AddRelation(plan, table, field, schema, &out);
  return out;
}

std::vector<Comment> FieldComments(const SchemaPlan& plan, const TablePlan& table,
                                   const FieldPlan& field, std::string_view schema) {
  std::vector<Comment> out = BuildFieldDdl(plan, table, field, schema).comments;
  if (field.link_role == LinkRole::kJunctionInverse) {
    auto [owner_table, owner] = plan.FindField(field.inverse_field_id);
    if (owner != nullptr && owner->link_role == LinkRole::kJunction)
      out.push_back({owner->relation_table, "", JunctionComment(plan, *owner_table, *owner)});
  }
  return out;
}

}  // namespace airpg::mapping
