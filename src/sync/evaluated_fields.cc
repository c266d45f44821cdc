#include "sync/evaluated_fields.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <set>

#include "base/log.h"
#include "base/sql_identifier.h"
#include "mapping/computed_view.h"
#include "mapping/evaluated_plan.h"
#include "mapping/formula_row.h"
#include "pg/quote.h"
#include "pg/transaction.h"
#include "sync/live_schema.h"

namespace airpg::sync {
namespace {

using nlohmann::json;
using RowSet = std::map<std::string, std::set<int64_t>>;  // table id → row ids

// A chain of lookups over rollups over … reaches this far (the views stop
// at 8 levels; real chains are two or three links long).
constexpr int kMaxLinkSteps = 4;

std::string IdArray(const std::set<int64_t>& ids) {
  std::string out = "{";
  for (int64_t id : ids) out += (out.size() > 1 ? "," : "") + std::to_string(id);
  return out + "}";
}

void AddId(RowSet& rows, const std::string& table_id, const json& id) {
  if (id.is_number_integer()) rows[table_id].insert(id.get<int64_t>());
  if (id.is_string()) {
    try {
      rows[table_id].insert(std::stoll(id.get<std::string>()));
    } catch (const std::exception&) {
    }
  }
}

// The rows the changes are about, and the rows their links pointed to
// before and after (a link change changes the lookups of both ends).
RowSet Seeds(const mapping::SchemaPlan& plan, const std::vector<OutboxChange>& changes) {
  RowSet out;
  for (const OutboxChange& c : changes) {
    const mapping::TablePlan* t = plan.FindTable(c.table_id);
    if (t == nullptr) continue;
    out[c.table_id].insert(c.row_id);
    json rows[] = {json::parse(c.old_row.empty() ? "null" : c.old_row, nullptr, false),
                   json::parse(c.new_row.empty() ? "null" : c.new_row, nullptr, false)};
    for (const json& row : rows) {
      if (!row.is_object()) continue;
      if (!c.field_id.empty()) {
        const mapping::FieldPlan* f = t->FindField(c.field_id);
        if (f != nullptr && !f->linked_table_id.empty()) {
          AddId(out, f->linked_table_id, row.value("to_id", json()));
        }
        continue;
      }
      for (const mapping::FieldPlan& f : t->fields) {
        if (f.link_role == mapping::LinkRole::kForeignKey) {
          AddId(out, f.linked_table_id, row.value(f.column_name, json()));
        }
      }
    }
  }
  return out;
}

// The rows of other tables linked to `rows` now, one link step away.
Result<RowSet> Neighbours(pg::Transaction& tx, const LiveBase& base, const RowSet& rows) {
  RowSet out;
  for (const mapping::TablePlan& x : base.plan.tables) {
    for (const mapping::FieldPlan& f : x.fields) {
      auto target = rows.find(f.linked_table_id);
      if (target == rows.end() || target->second.empty()) continue;
      const mapping::TablePlan* y = base.plan.FindTable(f.linked_table_id);
      if (y == nullptr) continue;
      std::string sql;
      switch (f.link_role) {
        case mapping::LinkRole::kForeignKey:  // x.fk = y.id
          sql =
              fmt::format("SELECT id FROM {} WHERE {} = ANY($1::bigint[])",
                          QualifiedName(base.schema, x.table_name), QuoteIdentifier(f.column_name));
          break;
        case mapping::LinkRole::kForeignKeyInverse: {  // y.fk = x.id
          const mapping::FieldPlan* fk = y->FindField(f.inverse_field_id);
          if (fk == nullptr) continue;
          sql = fmt::format("SELECT {} FROM {} WHERE id = ANY($1::bigint[]) AND {} IS NOT NULL",
                            QuoteIdentifier(fk->column_name),
                            QualifiedName(base.schema, y->table_name),
                            QuoteIdentifier(fk->column_name));
          break;
        }
        case mapping::LinkRole::kJunction:
          sql = fmt::format("SELECT from_id FROM {} WHERE to_id = ANY($1::bigint[])",
                            QualifiedName(base.schema, f.relation_table));
          break;
        case mapping::LinkRole::kJunctionInverse:
          sql = fmt::format("SELECT to_id FROM {} WHERE from_id = ANY($1::bigint[])",
                            QualifiedName(base.schema, f.relation_table));
          break;
        default:
          continue;
      }
      AIRPG_ASSIGN_OR_RETURN(pg::Rows found, tx.Exec(sql, {IdArray(target->second)}));
      for (int i = 0; i < found.size(); ++i) {
        out[x.table_id].insert(std::stoll(std::string(found.Get(i, 0))));
      }
    }
  }
  return out;
}

pg::Param ToParam(const mapping::PgValue& value) {
  if (value.is_null) return pg::Param();
  if (value.array) return pg::ArrayLiteral(*value.array);
  return pg::Param(value.text);
}

// One table's rows: read from the view, evaluated, written back.
Status EvaluateTable(pg::Transaction& tx, const LiveBase& base,
                     const mapping::EvaluatedTable& table, const std::set<int64_t>& ids,
                     int64_t now_millis, EvaluateReport& report) {
  const mapping::TablePlan& t = *table.table;
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      tx.Exec(
          fmt::format("SELECT v.id, {}::text FROM {} AS v WHERE v.id = ANY($1::bigint[]) AND "
                      "v.deleted_at IS NULL",
                      mapping::FormulaRowSql(t, "v"), QualifiedName(base.schema, t.computed_view)),
          {IdArray(ids)}));
  std::vector<std::optional<std::string>> evaluated_ids;
  for (const mapping::EvaluatedFormula& f : table.formulas)
    evaluated_ids.push_back(f.field->field.id);
  const std::string ids_evaluated = pg::ArrayLiteral(evaluated_ids);
  for (int i = 0; i < rows.size(); ++i) {
    std::string row_id(rows.Get(i, 0));
    Result<std::vector<mapping::EvaluatedValue>> values =
        mapping::EvaluateRow(table, rows.Get(i, 1), now_millis);
    if (!values.ok()) {
      log::Warn("evaluator: row {} of {}: {}", row_id, t.table_name, values.status().ToString());
      continue;
    }
    std::vector<pg::Param> params = {row_id};
    std::string set, current, next;
    json errors = json::object();
    for (const mapping::EvaluatedValue& v : *values) {
      const mapping::EvaluatedFormula& f = v.formula;
      if (!v.problem.empty()) {
        log::Warn("evaluator: {}.{} of row {}: {}", t.table_name, f.field->column_name, row_id,
                  v.problem);
      }
      const mapping::PgValue* column = &v.value;
      if (column->cell_error) errors[f.field->field.id] = json::parse(*column->cell_error);
      params.push_back(ToParam(*column));
      std::string col = QuoteIdentifier(f.field->column_name);
      std::string value_sql = fmt::format("${}::{}", params.size(), f.field->column.sql_type);
      set += fmt::format("{}{} = {}", set.empty() ? "" : ", ", col, value_sql);
      current += fmt::format("{}, ", col);
      next += fmt::format("{}, ", value_sql);
    }
    params.push_back(errors.empty() ? pg::Param("{}") : pg::Param(errors.dump()));
    params.push_back(ids_evaluated);
    // The row's other errors stay; the evaluated fields' are replaced.
    std::string new_errors = fmt::format(
        "NULLIF((coalesce(airpg_cell_errors, '{{}}'::jsonb) - ${}::text[]) || ${}::jsonb, "
        "'{{}}'::jsonb)",
        params.size(), params.size() - 1);
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows changed,
        tx.Exec(fmt::format("UPDATE {} SET {}, airpg_cell_errors = {} WHERE id = $1::bigint AND "
                            "ROW({}airpg_cell_errors) IS DISTINCT FROM ROW({}{}) RETURNING id",
                            QualifiedName(base.schema, t.table_name), set, new_errors, current,
                            next, new_errors),
                params));
    report.written += changed.size();
    ++report.rows;
    AIRPG_RETURN_IF_ERROR(
        tx.Run("INSERT INTO airpg.evaluated_rows (table_id, row_id, evaluated_at) VALUES ($1, "
               "$2::bigint, clock_timestamp()) ON CONFLICT (table_id, row_id) DO UPDATE SET "
               "evaluated_at = EXCLUDED.evaluated_at",
               {t.table_id, row_id}));
  }
  return Status::Ok();
}

// Worth trying again next round: a lock or connection problem.
bool IsRetryable(StatusCode code) {
  return code == StatusCode::kAborted || code == StatusCode::kUnavailable ||
         code == StatusCode::kDeadlineExceeded || code == StatusCode::kCancelled;
}

std::string OutboxIds(const pg::Rows& rows) {
  std::set<int64_t> ids;
  for (int i = 0; i < rows.size(); ++i) ids.insert(std::stoll(std::string(rows.Get(i, 5))));
  return IdArray(ids);
}

std::vector<OutboxChange> ChangesOf(const pg::Rows& rows) {
  std::vector<OutboxChange> out;
  for (int i = 0; i < rows.size(); ++i) {
    OutboxChange c;
    c.table_id = rows.Get(i, 0);
    c.field_id = rows.Get(i, 1);
    c.row_id = std::stoll(std::string(rows.Get(i, 2)));
    c.old_row = rows.Get(i, 3);
    c.new_row = rows.Get(i, 4);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

Result<EvaluateReport> EvaluateChangedRows(pg::Transaction& tx, const LiveBase& base,
                                           const std::map<std::string, TableAuthority>& authority,
                                           const std::vector<OutboxChange>& changes,
                                           int64_t now_millis) {
  EvaluateReport report;
  mapping::EvaluatedPlan plan =
      mapping::PlanEvaluated(base.plan, mapping::PlanComputed(base.plan, base.schema));
  if (plan.tables.empty() || changes.empty()) return report;
  // The rows written, then the rows reading them through links, step by step.
  RowSet all = Seeds(base.plan, changes);
  RowSet frontier = all;
  for (int step = 0; step < kMaxLinkSteps && !frontier.empty(); ++step) {
    AIRPG_ASSIGN_OR_RETURN(RowSet next, Neighbours(tx, base, frontier));
    frontier.clear();
    for (auto& [table_id, ids] : next) {
      for (int64_t id : ids) {
        if (all[table_id].insert(id).second) frontier[table_id].insert(id);
      }
    }
  }
  for (const mapping::EvaluatedTable& table : plan.tables) {
    auto rows = all.find(table.table->table_id);
    if (rows == all.end() || rows->second.empty()) continue;
    // An airtable-authority table is Airtable's to compute: the sync brings its values.
    auto auth = authority.find(table.table->table_id);
    if (auth == authority.end() || !auth->second.PostgresWrites()) continue;
    AIRPG_RETURN_IF_ERROR(EvaluateTable(tx, base, table, rows->second, now_millis, report));
  }
  return report;
}

Result<EvaluateReport> EvaluatePendingChanges(pg::Connection& conn, const std::string& base_id,
                                              int64_t now_millis) {
  // The cheap test each idle round makes (a partial index serves it).
  AIRPG_ASSIGN_OR_RETURN(pg::Rows waiting,
                         conn.Exec("SELECT 1 FROM airpg.outbox WHERE base_id = $1 AND status = "
                                   "'pending' AND evaluated_at IS NULL LIMIT 1",
                                   {base_id}));
  if (waiting.empty()) return EvaluateReport{};
  AIRPG_ASSIGN_OR_RETURN(LiveBase base, LoadLiveBase(conn, base_id));
  AIRPG_ASSIGN_OR_RETURN(auto authority, LoadAuthority(conn, base_id));
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  // The claims' lock (outbox_store.cc): no claim takes a change while it is
  // being evaluated, and two evaluators never take the same one.
  AIRPG_RETURN_IF_ERROR(
      tx.Run("SELECT pg_advisory_xact_lock(hashtext('airpg.outbox:' || $1))", {base_id}));
  // Ours, not the application's: not stamped, not captured, not sent back.
  AIRPG_RETURN_IF_ERROR(tx.Run("SET LOCAL airpg.origin = 'airtable'"));
  // An application holding a row waits for us only this long; the change
  // is then evaluated by a later round (this transaction rolls back).
  AIRPG_RETURN_IF_ERROR(tx.Run("SET LOCAL lock_timeout = '2s'"));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      tx.Exec("UPDATE airpg.outbox SET evaluated_at = clock_timestamp() WHERE outbox_id IN ("
              "SELECT outbox_id FROM airpg.outbox WHERE base_id = $1 AND status = 'pending' AND "
              "evaluated_at IS NULL ORDER BY outbox_id LIMIT 1000) "
              "RETURNING table_id, coalesce(field_id, ''), row_id, coalesce(old_row::text, ''), "
              "coalesce(new_row::text, ''), outbox_id",
              {base_id}));
  Result<EvaluateReport> report =
      EvaluateChangedRows(tx, base, authority, ChangesOf(rows), now_millis);
  if (report.ok()) {
    AIRPG_RETURN_IF_ERROR(tx.Commit());
    return report;
  }
  if (IsRetryable(report.status().code())) return report.status();
  // Not one a later round would get past (a view Postgres refused, …): the
  // changes are marked, so rounds do not retry them forever, and the
  // fields stay as they were until the rows are written again.
  AIRPG_RETURN_IF_ERROR(tx.Rollback());
  AIRPG_RETURN_IF_ERROR(
      conn.Run("UPDATE airpg.outbox SET evaluated_at = clock_timestamp() WHERE outbox_id = "
               "ANY($1::bigint[])",
               {OutboxIds(rows)}));
  return report.status();
}

}  // namespace airpg::sync
