#include "mapping/live_view.h"

#include <fmt/core.h>

#include <algorithm>

#include "base/sql_identifier.h"

namespace airpg::mapping {
namespace {

// One column of the view: what it shows (a field id, or a bookkeeping
// column's name), its name and type.
struct ViewColumn {
  std::string key;
  std::string name;
  std::string type;
};

std::vector<ViewColumn> Columns(const TablePlan& table) {
  std::vector<ViewColumn> out = {
      {"id", "id", "bigint"},
      {"airtable_id", "airtable_id", "text"},
      {"airtable_created_time", "airtable_created_time", "timestamptz"},
      {"airtable_modified_time", "airtable_modified_time", "timestamptz"}};
  for (const auto& f : table.fields) {
    if (f.HasColumn()) out.push_back({f.field.id, f.column_name, f.column.sql_type});
  }
  return out;
}

std::string ViewSql(const TablePlan& table, std::string_view schema, bool or_replace,
                    const std::vector<std::string>& columns) {
  std::string list;
  for (const auto& c : columns) {
    list += list.empty() ? "" : ", ";
    list += QuoteIdentifier(c);
  }
  return fmt::format("CREATE {}VIEW {} AS SELECT {} FROM {} WHERE deleted_at IS NULL",
                     or_replace ? "OR REPLACE " : "", QualifiedName(schema, table.live_view), list,
                     QualifiedName(schema, table.table_name));
}

}  // namespace

std::vector<std::string> LiveViewColumns(const TablePlan& table) {
  std::vector<std::string> out;
  for (const auto& c : Columns(table)) out.push_back(c.name);
  return out;
}

std::string CreateLiveViewSql(const TablePlan& table, std::string_view schema, bool or_replace) {
  return ViewSql(table, schema, or_replace, LiveViewColumns(table));
}

std::string DropLiveViewSql(const TablePlan& table, std::string_view schema) {
  return fmt::format("DROP VIEW IF EXISTS {}", QualifiedName(schema, table.live_view));
}

LiveViewUpkeep PlanLiveViewUpkeep(const TablePlan* before, const TablePlan* after,
                                  std::string_view schema,
                                  const std::vector<std::string>& view_columns) {
  LiveViewUpkeep out;
  if (after == nullptr) {
    if (before != nullptr) out.before.push_back(DropLiveViewSql(*before, schema));
    return out;
  }
  if (before == nullptr || view_columns.empty()) {
    if (before != nullptr) out.before.push_back(DropLiveViewSql(*before, schema));
    out.after.push_back(CreateLiveViewSql(*after, schema));
    return out;
  }
  // Postgres keeps a view whose columns stay where they are with their types
  // (names may change) and gains new ones only at the end.
  std::vector<ViewColumn> was = Columns(*before), now = Columns(*after);
  auto find = [](const std::vector<ViewColumn>& columns, auto&& match) -> const ViewColumn* {
    for (const auto& c : columns) {
      if (match(c)) return &c;
    }
    return nullptr;
  };
  std::vector<const ViewColumn*> kept;  // the view's columns, as the plan after has them
  bool keeps = true;
  for (const auto& name : view_columns) {
    const ViewColumn* old = find(was, [&](const ViewColumn& c) { return c.name == name; });
    const ViewColumn* next =
        old ? find(now, [&](const ViewColumn& c) { return c.key == old->key; }) : nullptr;
    if (next == nullptr || next->type != old->type) {
      keeps = false;
      break;
    }
    kept.push_back(next);
  }
  if (!keeps) {
    out.before.push_back(DropLiveViewSql(*before, schema));
    out.after.push_back(CreateLiveViewSql(*after, schema));
    return out;
  }
  if (before->live_view != after->live_view) {
    out.after.push_back(fmt::format("ALTER VIEW {} RENAME TO {}",
                                    QualifiedName(schema, before->live_view),
                                    QuoteIdentifier(after->live_view)));
  }
  std::vector<std::string> columns;
  for (size_t i = 0; i < kept.size(); ++i) {
    columns.push_back(kept[i]->name);
    if (view_columns[i] == kept[i]->name) continue;
    out.after.push_back(
        fmt::format("ALTER VIEW {} RENAME COLUMN {} TO {}", QualifiedName(schema, after->live_view),
                    QuoteIdentifier(view_columns[i]), QuoteIdentifier(kept[i]->name)));
  }
  for (const auto& c : now) {
    if (std::find(kept.begin(), kept.end(), &c) == kept.end()) columns.push_back(c.name);
  }
  out.after.push_back(ViewSql(*after, schema, true, columns));
  return out;
}

}  // namespace airpg::mapping
