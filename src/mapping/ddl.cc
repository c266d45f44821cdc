#include "mapping/ddl.h"

#include <fmt/core.h>

#include "base/sql_identifier.h"
#include "mapping/live_view.h"

namespace airpg::mapping {
namespace {

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
    for (const auto& table : plan_.tables) ddl_.finish.push_back(CreateLiveViewSql(table, schema_));
    return std::move(ddl_);
  }

 private:
  template <typename T>
  static void Append(std::vector<T>* to, const std::vector<T>& from) {
    to->insert(to->end(), from.begin(), from.end());
  }

  void Table(const TablePlan& t) {
    std::string q = QualifiedName(schema_, t.table_name);
    std::string columns =
        "  id bigint GENERATED ALWAYS AS IDENTITY,\n"
        "  airtable_id text";
    std::vector<std::string> adds = {"ADD PRIMARY KEY (id)", "ADD UNIQUE (airtable_id)"};
    std::vector<std::string> references;
    for (const auto& f : t.fields) {
      FieldDdl field = BuildFieldDdl(plan_, t, f, schema_);
      if (!field.column.empty()) columns += ",\n  " + field.column;
      Append(&adds, field.checks);
      Append(&references, field.references);
      Append(&relation_tables_, field.relation_create);
      Append(&references_, field.relation_finish);
      Append(&indexes_, field.indexes);
      Append(&ddl_.comments, field.comments);
      Append(&ddl_.audit, field.audit);
    }
    columns +=
        ",\n  airtable_created_time timestamptz"
        ",\n  airtable_modified_time timestamptz"
        ",\n  deleted_at timestamptz"
        ",\n  airpg_synced_at timestamptz NOT NULL DEFAULT now()"
        ",\n  airpg_version bigint NOT NULL DEFAULT 1"
        ",\n  airpg_cell_errors jsonb";
    tables_.push_back(fmt::format("CREATE TABLE {} (\n{}\n)", q, columns));
    keys_.push_back(Alter(q, adds));
    if (!references.empty()) references_.push_back(Alter(q, references));
    ddl_.comments.push_back({t.table_name, "", TableCommentText(t)});
    Append(&ddl_.comments, BookkeepingComments(t.table_name));
    ddl_.audit.push_back(AuditTriggerSql(schema_, t.table_name));
  }

  static std::string Alter(const std::string& table, const std::vector<std::string>& adds) {
    std::string alter = fmt::format("ALTER TABLE {}", table);
    for (size_t i = 0; i < adds.size(); ++i) alter += (i ? ",\n  " : "\n  ") + adds[i];
    return alter;
  }

  const SchemaPlan& plan_;
  std::string schema_;
  SchemaDdl ddl_;
  std::vector<std::string> tables_, relation_tables_, keys_, references_, indexes_;
};

}  // namespace

std::string TableCommentText(const TablePlan& t) {
  std::string text = fmt::format("Airtable table \"{}\" ({})", t.airtable_name, t.table_id);
  if (!t.description.empty()) text += ": " + t.description;
  return text;
}

std::vector<Comment> BookkeepingComments(std::string_view table) {
  std::string t(table);
  return {
      {t, "id", "airpg's key for the row (identity); links and foreign keys refer to it"},
      {t, "airtable_id", "Airtable record id (rec…); NULL until a row born in Postgres is pushed"},
      {t, "airtable_created_time", "When the record was created in Airtable (its createdTime)"},
      {t, "airtable_modified_time",
       "When the record was last modified in Airtable: the table's lastModifiedTime field "
       "watching every field, else the time of the webhook payload that reported the change; "
       "NULL when Airtable did not say"},
      {t, "deleted_at",
       "Set when the record was deleted in Airtable (a tombstone); NULL while live"},
      {t, "airpg_synced_at", "When airpg last wrote this row from Airtable"},
      {t, "airpg_version", "Bumped each time airpg changes the row's values"},
      {t, "airpg_cell_errors",
       "Formula errors Airtable returned, by field id (the field's column is NULL)"},
  };
}

SchemaDdl BuildSchemaDdl(const SchemaPlan& plan, std::string_view schema) {
  return Builder(plan, schema).Build();
}

std::string RenderDdlScript(const SchemaDdl& ddl, std::string_view schema) {
  std::string out = fmt::format("CREATE SCHEMA {};\n\n", QuoteIdentifier(schema));
  for (const auto& s : ddl.create) out += s + ";\n\n";
  for (const auto& s : ddl.finish) out += s + ";\n\n";
  for (const auto& c : ddl.comments) out += CommentSql(schema, c) + ";\n";
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
  out.push_back("airtable_modified_time");
  out.push_back("airpg_cell_errors");
  return out;
}

}  // namespace airpg::mapping
