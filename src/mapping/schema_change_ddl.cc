#include "mapping/schema_change_ddl.h"

#include <fmt/core.h>

#include "base/sql_identifier.h"
#include "mapping/ddl.h"

namespace airpg::mapping {
namespace {

class ChangeBuilder {
 public:
  ChangeBuilder(const SchemaDiff& diff, const SchemaChange& change, std::string_view schema,
                const ChangeDdlOptions& options)
      : diff_(diff), c_(change), schema_(schema), options_(options) {
    // Table names as they are once the change applies (table renames come first).
    table_ = diff.after.FindTable(change.table_id);
    if (!change.field_id.empty()) {
      before_ = diff.before.FindField(change.field_id).second;
      after_ = diff.after.FindField(change.field_id).second;
    }
  }

  ChangeDdl Build() {
    if (table_ == nullptr) return out_;
    switch (c_.kind) {
      case ChangeKind::kTableRenamed:
        if (c_.old_name != c_.new_name) {
          Run(fmt::format("ALTER TABLE {} RENAME TO {}", QualifiedName(schema_, c_.old_name),
                          QuoteIdentifier(c_.new_name)));
        }
        out_.comments.push_back({table_->table_name, "", TableCommentText(*table_)});
        break;
      case ChangeKind::kFieldRenamed:
        if (!c_.old_name.empty() && c_.old_name != c_.new_name) {
          Run(fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", Table(),
                          QuoteIdentifier(c_.old_name), QuoteIdentifier(c_.new_name)));
        }
        if (after_ != nullptr) Comments(FieldComments(diff_.after, *table_, *after_, schema_));
        break;
      case ChangeKind::kFieldRestored:
        if (after_ != nullptr) Comments(FieldComments(diff_.after, *table_, *after_, schema_));
        break;
      case ChangeKind::kFieldRemoved:
        Removed();
        break;
      case ChangeKind::kFieldRetyped:
        Retyped();
        break;
      case ChangeKind::kFieldAdded:
        if (after_ != nullptr) Add(*after_);
        break;
      default:
        break;  // catalog only, or reported only
    }
    return std::move(out_);
  }

 private:
  std::string Table() const { return QualifiedName(schema_, table_->table_name); }
  void Run(std::string sql) { out_.statements.push_back(std::move(sql)); }
  void Comments(const std::vector<Comment>& comments) {
    out_.comments.insert(out_.comments.end(), comments.begin(), comments.end());
  }

  void Removed() {
    if (before_ == nullptr) return;
    std::string relation = OwnedRelationTable(*before_);
    if (options_.drop_removed) {
      if (before_->HasColumn()) {
        Run(fmt::format("ALTER TABLE {} DROP COLUMN IF EXISTS {}", Table(),
                        QuoteIdentifier(before_->column_name)));
      }
      if (!relation.empty())
        Run(fmt::format("DROP TABLE IF EXISTS {}", QualifiedName(schema_, relation)));
      return;
    }
    std::string text = FieldCommentText(*before_) +
                       " — deleted in Airtable; kept by airpg (airpg.fields.removed_at)";
    if (before_->HasColumn())
      out_.comments.push_back({table_->table_name, before_->column_name, text});
    if (!relation.empty()) out_.comments.push_back({relation, "", text});
  }

  void Retyped() {
    if (before_ == nullptr || after_ == nullptr) return;
    std::string text =
        fmt::format("{} — its values from before the field changed type to {}; kept by airpg",
                    FieldCommentText(*before_), after_->field.type_name);
    if (!c_.new_name.empty()) {
      Run(fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", Table(),
                      QuoteIdentifier(c_.old_name), QuoteIdentifier(c_.new_name)));
      out_.comments.push_back({table_->table_name, c_.new_name, text});
    }
    if (!c_.old_relation_table.empty()) out_.comments.push_back({c_.old_relation_table, "", text});
    Add(*after_);
  }

  // What a migration would create for the field: its relation table, then
  // the column with its CHECKs and foreign keys, the relation's keys, indexes,
  // comments and the relation's audit trigger.
  void Add(const FieldPlan& f) {
    FieldDdl d = BuildFieldDdl(diff_.after, *table_, f, schema_);
    for (auto& s : d.relation_create) Run(std::move(s));
    std::vector<std::string> clauses;
    if (!d.column.empty()) clauses.push_back("ADD COLUMN " + d.column);
    clauses.insert(clauses.end(), d.checks.begin(), d.checks.end());
    clauses.insert(clauses.end(), d.references.begin(), d.references.end());
    if (!clauses.empty()) {
      std::string alter = "ALTER TABLE " + Table();
      for (size_t i = 0; i < clauses.size(); ++i) alter += (i ? ",\n  " : "\n  ") + clauses[i];
      Run(std::move(alter));
    }
    for (auto& s : d.relation_finish) Run(std::move(s));
    for (auto& s : d.indexes) Run(std::move(s));
    for (auto& s : d.audit) Run(std::move(s));
    Comments(d.comments);
  }

  const SchemaDiff& diff_;
  const SchemaChange& c_;
  std::string schema_;
  const ChangeDdlOptions& options_;
  const TablePlan* table_ = nullptr;
  const FieldPlan* before_ = nullptr;
  const FieldPlan* after_ = nullptr;
  ChangeDdl out_;
};

}  // namespace

ChangeDdl BuildChangeDdl(const SchemaDiff& diff, const SchemaChange& change,
                         std::string_view schema, const ChangeDdlOptions& options) {
  return ChangeBuilder(diff, change, schema, options).Build();
}

std::string RenderChangeDdl(const ChangeDdl& ddl, std::string_view schema) {
  std::string out;
  for (const auto& s : ddl.statements) out += s + ";\n";
  for (const auto& c : ddl.comments) out += CommentSql(schema, c) + ";\n";
  return out;
}

}  // namespace airpg::mapping
