#include "sync/row_upsert.h"

#include <fmt/core.h>

#include <algorithm>

#include "base/log.h"
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

// A GIN entry holds about 2.7 kB (GinMaxItemSize, after compression):
// migrate plans no GIN index for a field that lists a choice over 2000 bytes
// (mapping/type_rules.cc). A value only the sync meets (a choice added in
// Airtable since) would fail its whole row on the index, so the field's GIN
// index is dropped first, as migrate would have planned it, recorded in
// airpg.schema_versions and logged. `@>` queries then scan.
constexpr size_t kGinValueLimit = 2000;

Status DropGinIndexesForLongValues(pg::Transaction& tx, std::string_view schema,
                                   const mapping::TablePlan& table,
                                   const std::vector<mapping::RecordRow>& rows) {
  const std::vector<const mapping::FieldPlan*> fields = mapping::ColumnFields(table);
  for (size_t i = 0; i < fields.size(); ++i) {
    const mapping::FieldPlan& f = *fields[i];
    if (!f.column.gin_index) continue;
    size_t longest = 0;
    for (const auto& row : rows) {
      if (i >= row.columns.size() || !row.columns[i].array) continue;
      for (const auto& item : *row.columns[i].array) {
        if (item) longest = std::max(longest, item->size());
      }
    }
    if (longest <= kGinValueLimit) continue;
    const std::string live = QualifiedName(schema, table.table_name);
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows indexes,
        tx.Exec("SELECT ci.relname FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid "
                "JOIN pg_am am ON am.oid = ci.relam JOIN pg_attribute a ON a.attrelid = "
                "i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = to_regclass($1) AND "
                "am.amname = 'gin' AND i.indnatts = 1 AND a.attname = $2",
                {live, f.column_name}));
    for (int k = 0; k < indexes.size(); ++k) {
      std::string drop = fmt::format("DROP INDEX {}", QualifiedName(schema, indexes.Get(k, 0)));
      std::string change = fmt::format(
          "field {} ({}) of table {}: a value of {} bytes is longer than a GIN index entry "
          "holds; its GIN index is dropped",
          f.field.id, f.field.name, table.table_name, longest);
      // Readers queue behind a waiting DROP: it waits for its lock no longer
      // than the schema sync's DDL does (the batch is retried if it gives up).
      AIRPG_RETURN_IF_ERROR(tx.Run("SELECT set_config('lock_timeout', '5000ms', true)"));
      AIRPG_RETURN_IF_ERROR(tx.Run(drop));
      AIRPG_RETURN_IF_ERROR(
          tx.Run("INSERT INTO airpg.schema_versions (base_id, change, ddl) SELECT base_id, $2, "
                 "$3 FROM airpg.bases WHERE schema_name = $1",
                 {std::string(schema), change, drop + ";\n"}));
      log::Warn("sync: {}", change);
    }
  }
  return Status::Ok();
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
  AIRPG_RETURN_IF_ERROR(DropGinIndexesForLongValues(tx, schema, table, rows));
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
      values.push_back(row.modified_time.empty() ? pg::Param() : pg::Param(row.modified_time));
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
    // A write that does not know the modified time (a poll or a follow-up
    // read of a table without a lastModifiedTime field) keeps the last one
    // a webhook payload gave.
    std::string value = columns[i] == "airtable_modified_time"
                            ? fmt::format("COALESCE(EXCLUDED.{}, t.{})", c, c)
                            : fmt::format("EXCLUDED.{}", c);
    set += fmt::format("{} = {}, ", c, value);
    old_values += fmt::format("t.{}, ", c);
    new_values += value + ", ";
  }
  // A record Airtable lists brings its row back from a tombstone, unless
  // the tombstone is a Postgres delete still in the outbox: then the record
  // was read before the delete reached Airtable (an echo of an earlier
  // write), and clearing it would lose the delete (the dispatcher would find
  // the row alive and send nothing).
  const std::string deleted_at =
      "CASE WHEN t.deleted_at IS NOT NULL AND EXISTS (SELECT 1 FROM airpg.outbox o WHERE "
      "o.table_id = $1 AND o.row_id = t.id AND o.status = 'pending' AND 'deleted_at' = "
      "ANY (o.changed_columns)) THEN t.deleted_at END";
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows changed,
      tx.Exec(fmt::format("INSERT INTO {live} AS t ({cols}) SELECT {cols} FROM {staging} "
                          "ON CONFLICT (airtable_id) DO UPDATE SET {set}deleted_at = {deleted}, "
                          "airpg_synced_at = now(), airpg_version = t.airpg_version + 1 "
                          "WHERE ({old}t.deleted_at) IS DISTINCT FROM ({new}{deleted})",
                          fmt::arg("live", live), fmt::arg("cols", JoinColumns(columns, "")),
                          fmt::arg("staging", staging), fmt::arg("set", set),
                          fmt::arg("old", old_values), fmt::arg("new", new_values),
                          fmt::arg("deleted", deleted_at)),
              {table.table_id}));
  AIRPG_RETURN_IF_ERROR(tx.Run("DROP TABLE " + staging));
  return changed.AffectedRows();
}

}  // namespace airpg::sync
