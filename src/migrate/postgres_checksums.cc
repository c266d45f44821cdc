#include "migrate/postgres_checksums.h"

#include <fmt/core.h>

#include "base/sql_identifier.h"
#include "mapping/cell_value.h"
#include "mapping/record_row.h"
#include "mapping/relation_cells.h"
#include "migrate/record_checksum.h"
#include "migrate/verify.h"
#include "pg/quote.h"

namespace airpg::migrate {
namespace {

using mapping::FieldPlan;
using mapping::LinkRole;
using mapping::Storage;

// One text expression per field, over the row `t`; "" when the field is not
// compared. Values (schema name, field ids) are parameters appended to `params`.
std::string FieldExpression(std::string_view schema, const mapping::SchemaPlan& plan,
                            const FieldPlan& f, std::vector<pg::Param>& params) {
  auto name = [&](std::string_view t) { return QualifiedName(schema, t); };
  std::string col = "t." + QuoteIdentifier(f.column_name);
  const mapping::TablePlan* to =
      f.linked_table_id.empty() ? nullptr : plan.FindTable(f.linked_table_id);
  switch (f.link_role) {
    case LinkRole::kForeignKey:
      return fmt::format("(SELECT ARRAY[b.airtable_id] FROM {} b WHERE b.id = {})::text",
                         name(to->table_name), col);
    case LinkRole::kForeignKeyInverse: {
      const FieldPlan* owner = plan.FindField(f.inverse_field_id).second;
      return fmt::format(
          "(SELECT array_agg(a.airtable_id ORDER BY a.airtable_id) FROM {} a WHERE a.{} = t.id AND "
          "a.deleted_at IS NULL)"
          "::text",
          name(to->table_name), QuoteIdentifier(owner->column_name));
    }
    case LinkRole::kJunction:
      return fmt::format(
          "(SELECT array_agg(b.airtable_id ORDER BY j.position NULLS LAST, b.airtable_id) "
          "FROM {} j JOIN {} b ON b.id = j.to_id WHERE j.from_id = t.id)::text",
          name(f.relation_table), name(to->table_name));
    case LinkRole::kJunctionInverse:
      return fmt::format(
          "(SELECT array_agg(a.airtable_id ORDER BY j.inverse_position NULLS LAST, "
          "a.airtable_id) FROM {} j JOIN {} a ON a.id = j.from_id WHERE j.to_id = t.id)::text",
          name(f.relation_table), name(to->table_name));
    default:
      break;
  }
  if (f.column.storage == Storage::kUserJunction) {
    return fmt::format(
        "(SELECT array_agg(u.user_id ORDER BY u.position) FROM {} u WHERE u.record_id = t.id)"
        "::text",
        name(f.relation_table));
  }
  if (f.column.storage == Storage::kAttachments) {
    params.push_back(f.field.id);
    return fmt::format(
        "(SELECT json_agg(json_strip_nulls(json_build_object('id', x.attachment_id, 'filename', "
        "x.filename, 'size', x.size, 'type', x.content_type)) ORDER BY x.position) "
        "FROM airpg.attachments x WHERE x.schema_name = $1 AND x.record_id = t.airtable_id "
        "AND x.field_id = ${})::text",
        params.size());
  }
  return col + "::text";
}

// The REST cell JSON for a field's text from FieldExpression.
Result<std::optional<std::string>> Cell(const FieldPlan& f, std::optional<std::string_view> text) {
  using Out = std::optional<std::string>;
  bool link = IsLinkField(f);
  if (link || f.column.storage == Storage::kUserJunction) {
    if (!text) return Out();
    AIRPG_ASSIGN_OR_RETURN(auto items, pg::ParseArray(*text));
    std::vector<std::string> ids;
    for (auto& i : items) ids.push_back(i.value_or(""));
    if (link) return Out(mapping::LinkCellJson(ids));
    std::vector<mapping::Collaborator> users;
    for (auto& id : ids) users.push_back({id, std::nullopt, std::nullopt});
    return Out(mapping::CollaboratorCellJson(f.field.type, users));
  }
  if (f.column.storage == Storage::kAttachments) {
    return text ? Out(std::string(*text)) : Out();
  }
  if (f.column.storage == Storage::kUser) {
    if (!text) return Out();
    return Out(mapping::CollaboratorCellJson(f.field.type, {{std::string(*text), {}, {}}}));
  }
  mapping::PgValue value;
  if (text) {
    if (f.column.sql_type.ends_with("[]")) {
      AIRPG_ASSIGN_OR_RETURN(auto items, pg::ParseArray(*text));
      value = mapping::PgValue::Array(std::move(items));
    } else {
      value = mapping::PgValue::Scalar(std::string(*text));
    }
  }
  return mapping::PgToCell(f.field, f.column, value);
}

}  // namespace

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
    select += ", " + FieldExpression(schema, plan, f, params);
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
    Result<std::optional<std::string>> cell = Cell(*fields_[i], text);
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
