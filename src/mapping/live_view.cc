#include "mapping/live_view.h"

#include <fmt/core.h>

#include "base/sql_identifier.h"

namespace airpg::mapping {

std::vector<std::string> LiveViewColumns(const TablePlan& table) {
  std::vector<std::string> out = {"id", "airtable_id"};
  for (const auto& f : table.fields) {
    if (f.HasColumn()) out.push_back(f.column_name);
  }
  out.push_back("airtable_created_time");
  out.push_back("airtable_modified_time");
  return out;
}

std::string CreateLiveViewSql(const TablePlan& table, std::string_view schema) {
  std::string columns;
  for (const auto& c : LiveViewColumns(table)) {
    columns += columns.empty() ? "" : ", ";
    columns += QuoteIdentifier(c);
  }
  return fmt::format("CREATE VIEW {} AS SELECT {} FROM {} WHERE deleted_at IS NULL",
                     QualifiedName(schema, table.live_view), columns,
                     QualifiedName(schema, table.table_name));
}

std::string DropLiveViewSql(const TablePlan& table, std::string_view schema) {
  return fmt::format("DROP VIEW IF EXISTS {}", QualifiedName(schema, table.live_view));
}

}  // namespace airpg::mapping
