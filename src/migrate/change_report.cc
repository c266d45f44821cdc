#include "migrate/change_report.h"

#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "base/sql_identifier.h"

namespace airpg::migrate {
namespace {

Result<std::optional<int64_t>> LiveRows(pg::Connection& conn, const RunPlan& run,
                                        const pg::CatalogTableRow& table) {
  if (!run.live || table.columns.empty()) return std::optional<int64_t>();
  bool tombstones =
      std::find(table.columns.begin(), table.columns.end(), "deleted_at") != table.columns.end();
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                         conn.Exec(fmt::format("SELECT count(*) FROM {}{}",
                                               QualifiedName(run.live->schema, table.table_name),
                                               tombstones ? " WHERE deleted_at IS NULL" : "")));
  return std::optional<int64_t>(std::stoll(std::string(rows.Get(0, 0))));
}

}  // namespace

Result<std::vector<TableChange>> DescribeChanges(pg::Connection& conn, const RunPlan& run,
                                                 const std::vector<TableSummary>& read) {
  std::vector<TableChange> out;
  auto live_table = [&](std::string_view table_id) -> const pg::CatalogTableRow* {
    if (!run.live) return nullptr;
    for (const auto& t : run.catalog.tables) {
      if (t.table_id == table_id && !t.columns.empty()) return &t;
    }
    return nullptr;
  };
  for (const auto& table : run.plan.tables) {
    TableChange change;
    change.table_id = table.table_id;
    change.table_name = table.table_name;
    const pg::CatalogTableRow* live = live_table(table.table_id);
    change.action = live == nullptr                  ? "create"
                    : run.kept.count(table.table_id) ? "keep"
                                                     : "refresh";
    if (live != nullptr) {
      std::set<std::string> now(live->columns.begin(), live->columns.end());
      std::set<std::string> planned;
      for (const auto& f : table.fields) {
        if (!f.HasColumn()) continue;
        planned.insert(f.column_name);
        if (!now.count(f.column_name)) change.columns_added.push_back(f.column_name);
      }
      for (const auto& f : run.catalog.fields) {
        if (f.table_id == table.table_id && now.count(f.column_name) &&
            !planned.count(f.column_name) && !f.column_name.empty() &&
            std::find(change.columns_removed.begin(), change.columns_removed.end(),
                      f.column_name) == change.columns_removed.end()) {
          change.columns_removed.push_back(f.column_name);
        }
      }
      AIRPG_ASSIGN_OR_RETURN(change.live_rows, LiveRows(conn, run, *live));
    }
    for (const auto& t : read) {
      if (t.table_id == table.table_id) change.airtable_records = t.read;
    }
    out.push_back(std::move(change));
  }
  if (run.live) {
    for (const auto& t : run.catalog.tables) {
      if (run.plan.FindTable(t.table_id) != nullptr || t.columns.empty()) continue;
      TableChange change;
      change.table_id = t.table_id;
      change.table_name = t.table_name;
      change.action = "drop";
      AIRPG_ASSIGN_OR_RETURN(change.live_rows, LiveRows(conn, run, t));
      out.push_back(std::move(change));
    }
  }
  return out;
}

}  // namespace airpg::migrate
