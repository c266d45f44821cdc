#include "mapping/ddl.h"

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

std::string FieldComment(const FieldPlan& f) {
  std::string text =
      fmt::format("Airtable field \"{}\" ({}, {})", f.field.name, f.field.id, f.field.type_name);
  if (!f.field.description.empty()) text += ": " + f.field.description;
  return text;
}

class Builder {
 public:
  Builder(const SchemaPlan& plan, std::string_view schema) : plan_(plan), schema_(schema) {}

  // Order: mirrored tables, then relation tables; then every table's own
  // keys and CHECKs before any foreign key that needs a referenced key; then
  // indexes.
  SchemaDdl Build() {
    for (const auto& table : plan_.tables) Table(table);
    ddl_.create = std::move(tables_);
    ddl_.create.insert(ddl_.create.end(), relation_tables_.begin(), relation_tables_.end());
    ddl_.finish = std::move(keys_);
    ddl_.finish.insert(ddl_.finish.end(), references_.begin(), references_.end());
    ddl_.finish.insert(ddl_.finish.end(), indexes_.begin(), indexes_.end());
    return std::move(ddl_);
  }

 private:
  std::string Name(std::string_view table) const { return QualifiedName(schema_, table); }

  void Table(const TablePlan& t) {
    std::string q = Name(t.table_name);
    std::string columns =
        "  id bigint GENERATED ALWAYS AS IDENTITY,\n"
        "  airtable_id text";
    std::vector<std::string> adds = {"ADD PRIMARY KEY (id)", "ADD UNIQUE (airtable_id)"};
    std::vector<std::string> references;
    for (const auto& f : t.fields) {
      if (f.HasColumn()) Column(t, f, &columns, &adds, &references);
      Relation(t, f);
    }
    columns +=
        ",\n  airtable_created_time timestamptz"
        ",\n  airtable_modified_time timestamptz"
        ",\n  deleted_at timestamptz"
        ",\n  airpg_synced_at timestamptz NOT NULL DEFAULT now()"
        ",\n  airpg_version bigint NOT NULL DEFAULT 1";
    tables_.push_back(fmt::format("CREATE TABLE {} (\n{}\n)", q, columns));
    keys_.push_back(Alter(q, adds));
    if (!references.empty()) references_.push_back(Alter(q, references));
    std::string description =
        fmt::format("Airtable table \"{}\" ({})", t.airtable_name, t.table_id);
    if (!t.description.empty()) description += ": " + t.description;
    ddl_.comments.push_back({t.table_name, "", description});
    ddl_.comments.push_back({t.table_name, "airtable_id", "Airtable record id (rec…)"});
    ddl_.comments.push_back({t.table_name, "deleted_at", "Set when the record was deleted"});
    ddl_.audit.push_back(AuditTrigger(t.table_name));
  }

  static std::string Alter(const std::string& table, const std::vector<std::string>& adds) {
    std::string alter = fmt::format("ALTER TABLE {}", table);
    for (size_t i = 0; i < adds.size(); ++i) alter += (i ? ",\n  " : "\n  ") + adds[i];
    return alter;
  }

  void Column(const TablePlan& t, const FieldPlan& f, std::string* columns,
              std::vector<std::string>* adds, std::vector<std::string>* references) {
    std::string col = QuoteIdentifier(f.column_name);
    *columns += fmt::format(",\n  {} {}", col, f.column.sql_type);
    if (f.column.not_null) *columns += " NOT NULL DEFAULT " + f.column.default_sql;
    if (!f.column.check.empty())
      adds->push_back(fmt::format("ADD CHECK ({})", Check(f.column.check, f.column_name)));
    switch (f.column.storage) {
      case Storage::kForeignKey: {
        const TablePlan* to = plan_.FindTable(f.linked_table_id);
        references->push_back(
            fmt::format("ADD FOREIGN KEY ({}) REFERENCES {} (id) ON DELETE SET NULL DEFERRABLE "
                        "INITIALLY DEFERRED",
                        col, Name(to->table_name)));
        Index(t.table_name, col, "");
        break;
      }
      case Storage::kChoice:
        references->push_back(
            fmt::format("ADD FOREIGN KEY ({}) REFERENCES {} (name) ON UPDATE CASCADE DEFERRABLE "
                        "INITIALLY DEFERRED",
                        col, Name(f.relation_table)));
        break;
      case Storage::kUser:
        references->push_back(
            fmt::format("ADD FOREIGN KEY ({}) REFERENCES airpg.users (user_id) DEFERRABLE "
                        "INITIALLY DEFERRED",
                        col));
        break;
      default:
        break;
    }
    if (f.column.gin_index) Index(t.table_name, col, "gin");
    ddl_.comments.push_back({t.table_name, f.column_name, FieldComment(f)});
  }

  void Relation(const TablePlan& t, const FieldPlan& f) {
    std::string from = Name(t.table_name);
    if (f.link_role == LinkRole::kJunction) {
      const TablePlan* to = plan_.FindTable(f.linked_table_id);
      std::string j = Name(f.relation_table);
      // position: order in this side's cell; inverse_position: in the inverse field's
      // cell. Either is NULL when only the other side had the link when it was read.
      relation_tables_.push_back(
          fmt::format("CREATE TABLE {} (\n  from_id bigint NOT NULL,\n  to_id bigint NOT NULL,\n"
                      "  position integer,\n  inverse_position integer\n)",
                      j));
      references_.push_back(
          fmt::format("ALTER TABLE {}\n  ADD PRIMARY KEY (from_id, to_id),\n"
                      "  ADD FOREIGN KEY (from_id) REFERENCES {} (id) ON DELETE CASCADE DEFERRABLE "
                      "INITIALLY DEFERRED,\n"
                      "  ADD FOREIGN KEY (to_id) REFERENCES {} (id) ON DELETE CASCADE DEFERRABLE "
                      "INITIALLY DEFERRED",
                      j, from, Name(to->table_name)));
      Index(f.relation_table, "to_id", "");
      std::string text =
          fmt::format("Links of {}.{} ({})", t.airtable_name, f.field.name, f.field.id);
      if (!f.inverse_field_id.empty()) {
        auto [inv_table, inv] = plan_.FindField(f.inverse_field_id);
        text += fmt::format(" and its inverse {}.{} ({})", inv_table->airtable_name,
                            inv->field.name, inv->field.id);
      }
      ddl_.comments.push_back({f.relation_table, "", text});
      ddl_.audit.push_back(AuditTrigger(f.relation_table));
    } else if (f.column.storage == Storage::kUserJunction) {
      std::string j = Name(f.relation_table);
      relation_tables_.push_back(
          fmt::format("CREATE TABLE {} (\n  record_id bigint NOT NULL,\n  user_id text NOT NULL,\n"
                      "  position integer NOT NULL\n)",
                      j));
      references_.push_back(fmt::format(
          "ALTER TABLE {}\n  ADD PRIMARY KEY (record_id, user_id),\n"
          "  ADD FOREIGN KEY (record_id) REFERENCES {} (id) ON DELETE CASCADE DEFERRABLE "
          "INITIALLY DEFERRED,\n"
          "  ADD FOREIGN KEY (user_id) REFERENCES airpg.users (user_id) DEFERRABLE INITIALLY "
          "DEFERRED",
          j, from));
      ddl_.comments.push_back({f.relation_table, "", FieldComment(f)});
      ddl_.audit.push_back(AuditTrigger(f.relation_table));
    } else if (f.column.storage == Storage::kChoice) {
      // Created before the table whose FK points at it is finished; choices
      // are text keys, so a renamed choice cascades to the rows.
      relation_tables_.push_back(
          fmt::format("CREATE TABLE {} (\n  name text PRIMARY KEY,\n  airtable_choice_id text,\n"
                      "  color text,\n  position integer\n)",
                      Name(f.relation_table)));
      ddl_.comments.push_back({f.relation_table, "", "Choices of " + FieldComment(f)});
    }
  }

  void Index(std::string_view table, std::string_view quoted_column, std::string_view method) {
    indexes_.push_back(fmt::format("CREATE INDEX ON {}{} ({})", Name(table),
                                   method.empty() ? "" : fmt::format(" USING {}", method),
                                   quoted_column));
  }

  std::string AuditTrigger(std::string_view table) const {
    return fmt::format(
        "CREATE TRIGGER airpg_audit AFTER INSERT OR UPDATE OR DELETE ON {} FOR EACH ROW "
        "EXECUTE FUNCTION airpg.audit_row()",
        Name(table));
  }

  const SchemaPlan& plan_;
  std::string schema_;
  SchemaDdl ddl_;
  std::vector<std::string> tables_, relation_tables_, keys_, references_, indexes_;
};

}  // namespace

SchemaDdl BuildSchemaDdl(const SchemaPlan& plan, std::string_view schema) {
  return Builder(plan, schema).Build();
}

std::string RenderDdlScript(const SchemaDdl& ddl, std::string_view schema) {
  std::string out = fmt::format("CREATE SCHEMA {};\n\n", QuoteIdentifier(schema));
  for (const auto& s : ddl.create) out += s + ";\n\n";
  for (const auto& s : ddl.finish) out += s + ";\n\n";
  for (const auto& c : ddl.comments) {
    if (c.column.empty()) {
      out += fmt::format("COMMENT ON TABLE {} IS {};\n", QualifiedName(schema, c.table),
                         SqlStringLiteralForScript(c.text));
    } else {
      out += fmt::format("COMMENT ON COLUMN {}.{} IS {};\n", QualifiedName(schema, c.table),
                         QuoteIdentifier(c.column), SqlStringLiteralForScript(c.text));
    }
  }
  out += "\n";
  for (const auto& s : ddl.audit) out += s + ";\n";
  return out;
}

std::vector<std::string> LoadColumns(const TablePlan& table) {
  std::vector<std::string> out = {"airtable_id"};
  for (const auto& f : table.fields) {
    if (f.HasColumn() && f.link_role != LinkRole::kForeignKey) out.push_back(f.column_name);
  }
  out.push_back("airtable_created_time");
  return out;
}

}  // namespace airpg::mapping
