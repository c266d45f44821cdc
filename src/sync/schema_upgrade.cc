#include "sync/schema_upgrade.h"

#include <fmt/core.h>

#include <map>
#include <optional>
#include <set>

#include "base/log.h"
#include "base/sql_identifier.h"
#include "mapping/ddl.h"
#include "mapping/field_ddl.h"
#include "mapping/live_view.h"
#include "pg/transaction.h"
#include "sync/computed_views.h"
#include "sync/live_schema.h"
#include "sync/schema_change_lock.h"

namespace airpg::sync {
namespace {

// table name → column name → format_type of the column, for the live schema.
using LiveColumns = std::map<std::string, std::map<std::string, std::string>>;

struct Step {
  std::string change;
  std::vector<std::string> statements;
  std::vector<mapping::Comment> comments;
  std::string field_id;  // a widened column: its catalog sql_type becomes new_type
  std::string new_type;
};

Result<LiveColumns> ReadLiveColumns(pg::Connection& conn, const std::string& schema) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows, conn.Exec("SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
                               "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                               "JOIN pg_namespace n ON n.oid = c.relnamespace "
                               "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
                               "AND NOT a.attisdropped",
                               {schema}));
  LiveColumns out;
  for (int i = 0; i < rows.size(); ++i)
    out[std::string(rows.Get(i, 0))][std::string(rows.Get(i, 1))] = rows.Get(i, 2);
  return out;
}

// "numeric(38,2)[]" → "numeric[]": the type without its modifier.
std::string WithoutModifier(const std::string& type) {
  size_t open = type.find('(');
  size_t close = type.find(')', open);
  if (open == std::string::npos || close == std::string::npos) return type;
  return type.substr(0, open) + type.substr(close + 1);
}

// The old choices table (keyed by name, pointed at by the select's foreign
// key) rebuilt to the shape field_ddl.cc creates.
Result<Step> ChoicesStep(pg::Connection& conn, const std::string& schema,
                         const mapping::FieldPlan& f) {
  std::string choices = QualifiedName(schema, f.relation_table);
  Step step;
  step.change =
      fmt::format("upgrade: choices table {} of field {} keyed by choice_id, unique by md5(name)",
                  f.relation_table, f.field.id);
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows keys,
      conn.Exec("SELECT c.relname, k.conname, k.contype FROM pg_constraint k "
                "JOIN pg_class c ON c.oid = k.conrelid WHERE (k.confrelid = to_regclass($1) AND "
                "k.contype = 'f') OR (k.conrelid = to_regclass($1) AND k.contype = 'p') "
                "ORDER BY k.contype",  // foreign keys before the key they need
                {choices}));
  for (int i = 0; i < keys.size(); ++i) {
    step.statements.push_back(fmt::format("ALTER TABLE {} DROP CONSTRAINT {}",
                                          QualifiedName(schema, keys.Get(i, 0)),
                                          QuoteIdentifier(keys.Get(i, 1))));
  }
  step.statements.push_back(
      fmt::format("ALTER TABLE {} ALTER COLUMN name SET NOT NULL, ADD COLUMN choice_id bigint "
                  "GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
                  choices));
  step.statements.push_back(fmt::format("CREATE UNIQUE INDEX ON {} (md5(name))", choices));
  return step;
}

Result<std::set<std::string>> ReadLiveViews(pg::Connection& conn, const std::string& schema) {
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                         conn.Exec("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid "
                                   "= c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'v'",
                                   {schema}));
  std::set<std::string> out;
  for (int i = 0; i < rows.size(); ++i) out.emplace(rows.Get(i, 0));
  return out;
}

// table name → the columns an index of the table leads with.
using LeadingColumns = std::map<std::string, std::set<std::string>>;

Result<LeadingColumns> ReadLeadingColumns(pg::Connection& conn, const std::string& schema) {
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                         conn.Exec("SELECT c.relname, a.attname FROM pg_index i "
                                   "JOIN pg_class c ON c.oid = i.indrelid "
                                   "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                   "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = "
                                   "i.indkey[0] WHERE n.nspname = $1",
                                   {schema}));
  LeadingColumns out;
  for (int i = 0; i < rows.size(); ++i) out[std::string(rows.Get(i, 0))].emplace(rows.Get(i, 1));
  return out;
}

// The foreign-key columns of a field that an older airpg left without an
// index (a single collaborator's column, a collaborator junction's user_id).
void IndexSteps(const LeadingColumns& indexed, const LiveColumns& columns,
                const std::string& schema, const mapping::TablePlan& table,
                const mapping::FieldPlan& f, std::vector<Step>& steps) {
  std::string relation, column;
  if (f.column.storage == mapping::Storage::kUser && f.HasColumn()) {
    relation = table.table_name;
    column = f.column_name;
  } else if (f.column.storage == mapping::Storage::kUserJunction && !f.relation_table.empty()) {
    relation = f.relation_table;
    column = "user_id";
  } else {
    return;
  }
  auto live = columns.find(relation);
  if (live == columns.end() || !live->second.count(column)) return;
  auto index = indexed.find(relation);
  if (index != indexed.end() && index->second.count(column)) return;
  Step step;
  step.change = fmt::format("upgrade: index on foreign key {}.{}", relation, column);
  step.statements.push_back(fmt::format("CREATE INDEX ON {} ({})", QualifiedName(schema, relation),
                                        QuoteIdentifier(column)));
  steps.push_back(std::move(step));
}

// What the live schema lacks against `live`'s plan, one step per change.
Result<std::vector<Step>> PlanUpgrade(pg::Connection& conn, const LiveBase& live) {
  AIRPG_ASSIGN_OR_RETURN(LiveColumns columns, ReadLiveColumns(conn, live.schema));
  AIRPG_ASSIGN_OR_RETURN(std::set<std::string> views, ReadLiveViews(conn, live.schema));
  AIRPG_ASSIGN_OR_RETURN(LeadingColumns indexed, ReadLeadingColumns(conn, live.schema));
  std::vector<Step> steps;
  for (const auto& table : live.plan.tables) {
    auto cols = columns.find(table.table_name);
    if (cols == columns.end()) continue;  // not live (a migration will make it)
    std::string q = QualifiedName(live.schema, table.table_name);
    if (!cols->second.count("airpg_cell_errors")) {
      Step step;
      step.change = fmt::format("upgrade: table {} gets airpg_cell_errors", table.table_name);
      step.statements.push_back(
          fmt::format("ALTER TABLE {} ADD COLUMN airpg_cell_errors jsonb", q));
      step.comments.push_back(
          {table.table_name, "airpg_cell_errors",
           "Formula errors Airtable returned, by field id (the field's column is NULL)"});
      steps.push_back(std::move(step));
    }
    for (const auto& f : table.fields) {
      IndexSteps(indexed, columns, live.schema, table, f, steps);
      if (f.HasColumn()) {
        auto type = cols->second.find(f.column_name);
        if (type != cols->second.end() && type->second != f.column.sql_type &&
            WithoutModifier(type->second) == f.column.sql_type) {
          Step step;
          step.change =
              fmt::format("upgrade: column {}.{} of field {} from {} to {}", table.table_name,
                          f.column_name, f.field.id, type->second, f.column.sql_type);
          // The live-rows view pins the column's type: it goes, and comes back below.
          step.statements.push_back(mapping::DropLiveViewSql(table, live.schema));
          views.erase(table.live_view);
          step.statements.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} TYPE {}", q,
                                                QuoteIdentifier(f.column_name), f.column.sql_type));
          step.field_id = f.field.id;
          step.new_type = f.column.sql_type;
          steps.push_back(std::move(step));
        }
      }
      if (f.column.storage == mapping::Storage::kChoice && !f.relation_table.empty()) {
        auto choices = columns.find(f.relation_table);
        if (choices != columns.end() && !choices->second.count("choice_id")) {
          AIRPG_ASSIGN_OR_RETURN(Step step, ChoicesStep(conn, live.schema, f));
          steps.push_back(std::move(step));
        }
      }
    }
  }
  // Views last: they read the columns as the steps above leave them.
  for (const auto& table : live.plan.tables) {
    if (!columns.count(table.table_name) || views.count(table.live_view)) continue;
    Step step;
    step.change = fmt::format("upgrade: table {} gets its live-rows view {}", table.table_name,
                              table.live_view);
    step.statements.push_back(mapping::CreateLiveViewSql(table, live.schema));
    // A table from before the views also lacks its bookkeeping comments.
    step.comments = mapping::BookkeepingComments(table.table_name);
    steps.push_back(std::move(step));
  }
  return steps;
}

std::string Script(const Step& step, const std::string& schema) {
  std::string out;
  for (const auto& s : step.statements) out += s + ";\n";
  for (const auto& c : step.comments) out += mapping::CommentSql(schema, c) + ";\n";
  return out;
}

}  // namespace

Result<SchemaUpgradeSummary> UpgradeLiveSchema(pg::Connection& conn, std::string_view base_id,
                                               std::chrono::milliseconds lock_timeout) {
  std::string base(base_id);
  AIRPG_ASSIGN_OR_RETURN(LiveBase live, LoadLiveBase(conn, base_id));
  // Cheap when current: a catalog read, no transaction, no lock.
  AIRPG_ASSIGN_OR_RETURN(std::vector<Step> steps, PlanUpgrade(conn, live));
  SchemaUpgradeSummary summary;
  if (steps.empty()) return summary;

  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, BeginSchemaChange(conn, base_id, lock_timeout));
  // Again under the lock: a migration may have swapped the schema meanwhile.
  AIRPG_ASSIGN_OR_RETURN(live, LoadLiveBase(tx.connection(), base_id));
  AIRPG_ASSIGN_OR_RETURN(steps, PlanUpgrade(tx.connection(), live));
  AIRPG_ASSIGN_OR_RETURN(mapping::CatalogView catalog, ReadCatalogView(tx.connection(), base_id));
  AIRPG_RETURN_IF_ERROR(DropComputedViews(tx.connection(), catalog));
  for (const Step& step : steps) {
    for (const auto& statement : step.statements) {
      Status ran = tx.Run(statement);
      if (!ran.ok()) {
        return Status(ran.code(),
                      fmt::format("base {}: {}: {}", base_id, step.change, ran.message()));
      }
    }
    for (const auto& c : step.comments) {
      pg::Param column = c.column.empty() ? pg::Param() : pg::Param(c.column);
      AIRPG_RETURN_IF_ERROR(tx.Run("SELECT airpg.comment_on($1, $2, $3, $4)",
                                   {live.schema, c.table, column, c.text}));
    }
    if (!step.field_id.empty()) {
      AIRPG_RETURN_IF_ERROR(tx.Run("UPDATE airpg.fields SET sql_type = $2 WHERE field_id = $1",
                                   {step.field_id, step.new_type}));
    }
    AIRPG_RETURN_IF_ERROR(
        tx.Run("INSERT INTO airpg.schema_versions (base_id, change, ddl) VALUES ($1, $2, $3)",
               {base, step.change, Script(step, live.schema)}));
    summary.applied.push_back(step.change);
  }
  AIRPG_RETURN_IF_ERROR(CreateComputedViews(tx.connection(), base_id));
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  for (const auto& change : summary.applied) log::Info("sync of {}: {}", base_id, change);
  return summary;
}

}  // namespace airpg::sync
