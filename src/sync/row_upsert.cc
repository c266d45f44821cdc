#include "sync/row_upsert.h"

#include <fmt/core.h>

#include "base/sql_identifier.h"
#include "mapping/ddl.h"
#include "pg/copy_writer.h"
#include "pg/quote.h"

namespace airpg::sync {
namespace {

constexpr std::string_view kStaging = "airpg_sync_rows";

pg::Param ToParam(const mapping::PgValue& value) {
  if (value.is_null) return pg::Param();
  if (value.array) {
    std::vector<std::optional<std::string>> items(value.array->begin(), value.array->end());
    return pg::ArrayLiteral(items);
  }
  return pg::Param(value.text);
}

std::string JoinColumns(const std::vector<std::string>& columns, std::string_view prefix) {
  std::string out;
  for (const auto& c : columns) {
    if (!out.empty()) out += ", ";
    out += std::string(prefix) + QuoteIdentifier(c);
  }
  return out;
}

}  // namespace

Result<int64_t> UpsertRows(pg::Transaction& tx, std::string_view schema,
                           const mapping::TablePlan& table,
                           const std::vector<mapping::RecordRow>& rows) {
  if (rows.empty()) return int64_t{0};
  const std::vector<std::string> columns = mapping::LoadColumns(table);
  const std::string live = QualifiedName(schema, table.table_name);
  const std::string staging = QualifiedName("pg_temp", kStaging);
  // The staging table takes the live columns' types, so COPY parses each
  // value as the column will hold it.
  AIRPG_RETURN_IF_ERROR(
      tx.Run(fmt::format("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} "
                         "FROM {} WITH NO DATA",
                         QuoteIdentifier(kStaging), JoinColumns(columns, ""), live)));
  {
    AIRPG_ASSIGN_OR_RETURN(pg::CopyWriter copy,
                           pg::CopyWriter::Start(tx.connection(), "pg_temp", kStaging, columns));
    std::vector<pg::Param> values;
    for (const auto& row : rows) {
      values.clear();
      values.push_back(row.record_id);
      for (const auto& v : row.columns) values.push_back(ToParam(v));
      values.push_back(row.created_time.empty() ? pg::Param() : pg::Param(row.created_time));
      values.push_back(row.cell_errors ? pg::Param(*row.cell_errors) : pg::Param());
      AIRPG_RETURN_IF_ERROR(copy.WriteRow(values));
    }
    AIRPG_RETURN_IF_ERROR(copy.Finish().status());
  }
  // A value of a single select the choices table does not list yet (a
  // choice added in Airtable) is added before the row points at it.
  for (const auto& f : table.fields) {
    if (f.column.storage != mapping::Storage::kChoice || !f.HasColumn()) continue;
    std::string column = QuoteIdentifier(f.column_name);
    AIRPG_RETURN_IF_ERROR(
        tx.Run(fmt::format("INSERT INTO {} (name) SELECT DISTINCT {} FROM {} WHERE {} IS NOT NULL "
                           "ON CONFLICT DO NOTHING",
                           QualifiedName(schema, f.relation_table), column, staging, column)));
  }
  std::string set, old_values, new_values;
  for (size_t i = 1; i < columns.size(); ++i) {
    std::string c = QuoteIdentifier(columns[i]);
    set += fmt::format("{} = EXCLUDED.{}, ", c, c);
    old_values += fmt::format("t.{}, ", c);
    new_values += fmt::format("EXCLUDED.{}, ", c);
  }
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows changed,
      tx.Exec(fmt::format("INSERT INTO {live} AS t ({cols}) SELECT {cols} FROM {staging} "
                          "ON CONFLICT (airtable_id) DO UPDATE SET {set}deleted_at = NULL, "
                          "airpg_synced_at = now(), airpg_version = t.airpg_version + 1 "
                          "WHERE ({old}t.deleted_at) IS DISTINCT FROM ({new}NULL::timestamptz)",
                          fmt::arg("live", live), fmt::arg("cols", JoinColumns(columns, "")),
                          fmt::arg("staging", staging), fmt::arg("set", set),
                          fmt::arg("old", old_values), fmt::arg("new", new_values))));
  AIRPG_RETURN_IF_ERROR(tx.Run("DROP TABLE " + staging));
  return changed.AffectedRows();
}

}  // namespace airpg::sync
