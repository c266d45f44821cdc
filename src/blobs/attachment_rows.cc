#include "blobs/attachment_rows.h"

#include "pg/quote.h"

namespace airpg::blobs {
namespace {

pg::Param Optional(const std::optional<int64_t>& value) {
  return value ? pg::Param(std::to_string(*value)) : pg::Param();
}

Status InsertRows(pg::Connection& conn, const std::string& schema, const std::string& table_id,
                  const std::vector<AttachmentCell>& rows) {
  if (rows.empty()) return Status::Ok();
  // One array per column, so a cell of any size is one statement.
  std::vector<std::vector<pg::Param>> columns(AttachmentColumns().size() - 2);
  for (const AttachmentCell& cell : rows) {
    std::vector<pg::Param> row = AttachmentRow(schema, table_id, cell);
    for (size_t c = 2; c < row.size(); ++c) columns[c - 2].push_back(std::move(row[c]));
  }
  std::vector<pg::Param> params = {schema, table_id};
  for (const auto& column : columns) params.push_back(pg::ArrayLiteral(column));
  return conn.Run(
      "INSERT INTO airpg.attachments (schema_name, table_id, record_id, field_id, position, "
      "attachment_id, filename, content_type, size, sha256, width, height) "
      "SELECT $1, $2, r, f, p::int, i, n, ty, s::bigint, h, w::int, he::int FROM "
      "unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], "
      "$9::text[], $10::text[], $11::text[], $12::text[]) AS x(r, f, p, i, n, ty, s, h, w, he)",
      params);
}

}  // namespace

const std::vector<std::string>& AttachmentColumns() {
  static const std::vector<std::string> kColumns = {
      "schema_name", "table_id",     "record_id", "field_id", "position", "attachment_id",
      "filename",    "content_type", "size",      "sha256",   "width",    "height"};
  return kColumns;
}

std::vector<pg::Param> AttachmentRow(const std::string& schema, const std::string& table_id,
                                     const AttachmentCell& cell) {
  const Attachment& a = cell.attachment;
  return {schema,
          table_id,
          cell.record_id,
          cell.field_id,
          std::to_string(cell.position),
          a.id,
          a.filename,
          a.type.empty() ? pg::Param() : pg::Param(a.type),
          std::to_string(a.size),
          a.sha256,
          Optional(a.width),
          Optional(a.height)};
}

Status ReplaceAttachmentCells(pg::Connection& conn, const std::string& schema,
                              const std::string& table_id,
                              const std::vector<std::pair<std::string, std::string>>& cells,
                              const std::vector<AttachmentCell>& rows) {
  if (cells.empty()) return Status::Ok();
  std::vector<pg::Param> clear_records, clear_fields;
  for (const auto& [record, field] : cells) {
    clear_records.push_back(record);
    clear_fields.push_back(field);
  }
  std::vector<pg::Param> cell_params = {schema, table_id, pg::ArrayLiteral(clear_records),
                                        pg::ArrayLiteral(clear_fields)};
  // Attachments added in Postgres and not yet in Airtable (no att… id) stay,
  // and so, in a cell with a Postgres change queued (airpg.attachment_outbox),
  // do the ones Airtable no longer lists: the conflict rule decides that cell
  // when it is sent (sync/attachment_conflicts.h). Out of the way first, then
  // after the cell's Airtable attachments.
  std::vector<pg::Param> incoming;
  for (const AttachmentCell& row : rows) incoming.push_back(row.attachment.id);
  std::vector<pg::Param> keep_params = cell_params;
  keep_params.push_back(pg::ArrayLiteral(incoming));
  const std::string held =
      "(a.attachment_id IS NULL OR (a.attachment_id <> ALL($5::text[]) AND EXISTS (SELECT 1 "
      "FROM airpg.attachment_outbox o WHERE o.table_id = a.table_id AND o.record_id = "
      "a.record_id AND o.field_id = a.field_id AND o.status = 'pending')))";
  AIRPG_RETURN_IF_ERROR(conn.Run(
      "DELETE FROM airpg.attachments a USING unnest($3::text[], $4::text[]) AS c(r, f) "
      "WHERE a.schema_name = $1 AND a.table_id = $2 AND a.record_id = c.r AND a.field_id = c.f "
      "AND NOT " +
          held,
      keep_params));
  AIRPG_RETURN_IF_ERROR(conn.Run(
      "UPDATE airpg.attachments a SET position = -1 - a.position "
      "FROM unnest($3::text[], $4::text[]) AS c(r, f) "
      "WHERE a.schema_name = $1 AND a.table_id = $2 AND a.record_id = c.r AND a.field_id = c.f "
      "AND a.position >= 0 AND " +
          held,
      keep_params));
  AIRPG_RETURN_IF_ERROR(InsertRows(conn, schema, table_id, rows));
  return conn.Run(
      "UPDATE airpg.attachments a SET position = p.after + p.rank FROM ("
      " SELECT x.record_id, x.field_id, x.position,"
      "  row_number() OVER (PARTITION BY x.record_id, x.field_id ORDER BY x.position DESC) AS rank,"
      "  (SELECT coalesce(max(y.position), -1) FROM airpg.attachments y WHERE y.schema_name = $1"
      "    AND y.record_id = x.record_id AND y.field_id = x.field_id AND y.position >= 0) AS after"
      " FROM airpg.attachments x WHERE x.schema_name = $1 AND x.table_id = $2 AND x.position < 0"
      ") p WHERE a.schema_name = $1 AND a.record_id = p.record_id AND a.field_id = p.field_id "
      "AND a.position = p.position",
      {schema, table_id});
}

Status MoveSchemaAttachments(pg::Connection& conn, const std::string& from, const std::string& to) {
  return conn.Run("UPDATE airpg.attachments SET schema_name = $2 WHERE schema_name = $1",
                  {from, to});
}

Result<int64_t> CopyTableAttachments(pg::Connection& conn, const std::string& from,
                                     const std::string& to, const std::string& table_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("INSERT INTO airpg.attachments (schema_name, table_id, record_id, field_id, "
                "position, attachment_id, filename, content_type, size, sha256, width, height) "
                "SELECT $1, table_id, record_id, field_id, position, attachment_id, filename, "
                "content_type, size, sha256, width, height FROM airpg.attachments "
                "WHERE schema_name = $2 AND table_id = $3 ON CONFLICT DO NOTHING",
                {to, from, table_id}));
  return rows.AffectedRows();
}

Status DeleteSchemaAttachments(pg::Connection& conn, const std::string& schema) {
  return conn.Run("DELETE FROM airpg.attachments WHERE schema_name = $1", {schema});
}

Status DeleteRecordAttachments(pg::Connection& conn, const std::string& schema,
                               const std::string& table_id, const std::string& record_id) {
  return conn.Run(
      "DELETE FROM airpg.attachments WHERE schema_name = $1 AND table_id = $2 AND record_id = $3",
      {schema, table_id, record_id});
}

Status DeleteFieldAttachments(pg::Connection& conn, const std::string& schema,
                              const std::string& field_id) {
  // The field is gone in Airtable: not a removal to send there. The guard
  // and capture of catalog_v9 let airpg.origin 'airtable' pass (for this
  // statement: the caller's transaction keeps its own origin).
  AIRPG_ASSIGN_OR_RETURN(pg::Rows before,
                         conn.Exec("SELECT coalesce(current_setting('airpg.origin', true), ''), "
                                   "set_config('airpg.origin', 'airtable', true)"));
  Status deleted = conn.Run(
      "DELETE FROM airpg.attachments WHERE schema_name = $1 AND field_id = $2", {schema, field_id});
  Status restored =
      conn.Run("SELECT set_config('airpg.origin', $1, true)", {std::string(before.Get(0, 0))});
  return deleted.ok() ? restored : deleted;
}

}  // namespace airpg::blobs
