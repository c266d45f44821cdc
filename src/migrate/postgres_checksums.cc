#include "migrate/postgres_checksums.h"

#include <fmt/core.h>

#include "base/sql_identifier.h"
#include "mapping/cell_value.h"
#include "mapping/record_row.h"
#include "mapping/relation_cells.h"
#include "mapping/row_cells.h"
#include "migrate/record_checksum.h"
#include "migrate/verify.h"
#include "pg/quote.h"

namespace airpg::migrate {

using mapping::FieldPlan;

Result<SkipMap> ReadRejectedCells(pg::Connection& conn, int64_t run_id, std::string_view table_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT record_id, field_id FROM airpg.rejects WHERE run_id = $1::bigint AND "
                "table_id = $2 AND record_id IS NOT NULL AND field_id IS NOT NULL "
                // Cells the sync could not apply since, waiting in the dead-letter queue.
                "UNION SELECT record_id, field_id FROM airpg.dead_letters WHERE table_id = $2 "
                "AND field_id IS NOT NULL AND status IN ('retrying', 'dead')",
                {std::to_string(run_id), std::string(table_id)}));
  SkipMap out;
  for (int i = 0; i < rows.size(); ++i)
    out[std::string(rows.Get(i, 0))].insert(std::string(rows.Get(i, 1)));
  return out;
}

Result<PostgresChecksumReader> PostgresChecksumReader::Open(
    pg::Transaction& tx, std::string_view cursor_name, std::string_view schema,
    const mapping::SchemaPlan& plan, const mapping::TablePlan& table, const SkipMap& skip,
    bool with_links, const std::vector<std::string>* only) {
  std::vector<pg::Param> params = {std::string(schema)};
  // The formula errors come last: a computed cell whose column is NULL is
  // rebuilt from them (mapping::PgValue::cell_error).
  // A table an older airpg made has no airpg_cell_errors until `airpg sync`
  // upgrades it (sync/schema_upgrade.h): it holds no formula errors then.
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows has_errors,
      tx.Exec("SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = "
              "'airpg_cell_errors' AND NOT attisdropped",
              {QualifiedName(schema, table.table_name)}));
  std::string select = fmt::format("SELECT coalesce(t.airtable_id, ''), {}",
                                   has_errors.empty() ? "NULL::text" : "t.airpg_cell_errors::text");
  std::vector<const FieldPlan*> fields;
  for (const auto& f : table.fields) {
    if (IsLinkField(f) && !with_links) continue;
    select += ", " + mapping::CellExpression(schema, plan, f, params);
    fields.push_back(&f);
  }
  std::string where;
  if (only != nullptr) {
    std::vector<std::optional<std::string>> ids(only->begin(), only->end());
    params.push_back(pg::ArrayLiteral(ids));
    where = fmt::format(" AND t.airtable_id = ANY(${}::text[])", params.size());
  }
  select += fmt::format(
      " FROM {} t WHERE t.deleted_at IS NULL AND $1::text IS NOT NULL{} "
      "ORDER BY coalesce(t.airtable_id, '') COLLATE \"C\"",
      QualifiedName(schema, table.table_name), where);
  AIRPG_ASSIGN_OR_RETURN(pg::Cursor cursor,
                         pg::Cursor::Open(tx, cursor_name, select, params, kBatch));
  return PostgresChecksumReader(std::move(cursor), table, skip, std::move(fields), with_links);
}

Result<bool> PostgresChecksumReader::NextCells(std::string* record_id, RecordCells* cells,
                                               std::string* unrebuildable) {
  AIRPG_ASSIGN_OR_RETURN(bool more, cursor_.Advance());
  if (!more) return false;
  *record_id = cursor_.Get(0);
  cells->clear();
  unrebuildable->clear();
  std::map<std::string, std::string, std::less<>> errors;
  if (!cursor_.IsNull(1)) {
    AIRPG_ASSIGN_OR_RETURN(errors, mapping::ParseCellErrors(cursor_.Get(1)));
  }
  for (size_t i = 0; i < fields_.size(); ++i) {
    int col = static_cast<int>(i) + 2;
    auto text = cursor_.IsNull(col) ? std::optional<std::string_view>()
                                    : std::optional<std::string_view>(cursor_.Get(col));
    auto error = errors.find(fields_[i]->field.id);
    if (!text && error != errors.end()) {
      (*cells)[fields_[i]->field.id] = error->second;
      continue;
    }
    Result<std::optional<std::string>> cell = mapping::CellFromText(*fields_[i], text);
    if (!cell.ok()) {
      *unrebuildable =
          fmt::format("field \"{}\": {}", fields_[i]->field.name, cell.status().message());
      return true;
    }
    (*cells)[fields_[i]->field.id] = *std::move(cell);
  }
  return true;
}

Result<bool> PostgresChecksumReader::Next(std::string* record_id, std::string* checksum) {
  // A row whose value cannot be rebuilt or checksummed is a difference with
  // its reason (verify.h), never the end of the check.
  RecordCells cells;
  std::string unrebuildable;
  AIRPG_ASSIGN_OR_RETURN(bool more, NextCells(record_id, &cells, &unrebuildable));
  if (!more) return false;
  if (!unrebuildable.empty()) {
    *checksum = UnverifiableChecksum(unrebuildable);
    return true;
  }
  static const std::set<std::string, std::less<>> kNone;
  auto it = skip_->find(*record_id);
  Result<std::string> sum = RecordChecksum(
      *table_,
      [&](const FieldPlan& f) -> std::optional<std::string_view> {
        auto c = cells.find(f.field.id);
        if (c == cells.end() || !c->second) return std::nullopt;
        return std::string_view(*c->second);
      },
      it == skip_->end() ? kNone : it->second, with_links_);
  *checksum = sum.ok() ? *std::move(sum) : UnverifiableChecksum(sum.status().message());
  return true;
}

Result<std::map<std::string, std::string>> PostgresChecksums(pg::Connection& conn,
                                                             std::string_view schema,
                                                             const mapping::SchemaPlan& plan,
                                                             const mapping::TablePlan& table,
                                                             const SkipMap& skip, bool with_links) {
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  AIRPG_ASSIGN_OR_RETURN(PostgresChecksumReader reader,
                         PostgresChecksumReader::Open(tx, "postgres_checksums", schema, plan, table,
                                                      skip, with_links));
  std::map<std::string, std::string> out;
  std::string record_id, checksum;
  for (;;) {
    AIRPG_ASSIGN_OR_RETURN(bool more, reader.Next(&record_id, &checksum));
    if (!more) break;
    out[record_id] = checksum;
  }
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return out;
}

Result<std::map<std::string, RecordCells>> PostgresRecordCells(
    pg::Connection& conn, std::string_view schema, const mapping::SchemaPlan& plan,
    const mapping::TablePlan& table, const std::vector<std::string>& record_ids, bool with_links) {
  std::map<std::string, RecordCells> out;
  if (record_ids.empty()) return out;
  static const SkipMap kNoSkip;
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  AIRPG_ASSIGN_OR_RETURN(PostgresChecksumReader reader,
                         PostgresChecksumReader::Open(tx, "postgres_cells", schema, plan, table,
                                                      kNoSkip, with_links, &record_ids));
  std::string record_id, unrebuildable;
  RecordCells cells;
  for (;;) {
    AIRPG_ASSIGN_OR_RETURN(bool more, reader.NextCells(&record_id, &cells, &unrebuildable));
    if (!more) break;
    if (unrebuildable.empty()) out[record_id] = std::move(cells);
  }
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return out;
}

}  // namespace airpg::migrate
