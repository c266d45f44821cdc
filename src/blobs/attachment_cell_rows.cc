#include "blobs/attachment_cell_rows.h"

#include <string_view>

#include "pg/quote.h"

namespace airpg::blobs {
namespace {

std::vector<pg::Param> Key(const CellKey& cell) {
  return {cell.schema, cell.record_id, cell.field_id};
}

pg::Param Ints(const std::vector<int>& values) {
  std::vector<pg::Param> out;
  for (int v : values) out.push_back(std::to_string(v));
  return pg::ArrayLiteral(out);
}

pg::Param Texts(const std::vector<std::string>& values) {
  return pg::ArrayLiteral(std::vector<pg::Param>(values.begin(), values.end()));
}

// Runs `sql` on the cell: its key as $1..$3, `extra` as $4.
Status RunOnCell(pg::Connection& conn, const CellKey& cell, std::string_view sql, pg::Param extra) {
  std::vector<pg::Param> params = Key(cell);
  params.push_back(std::move(extra));
  return conn.Run(sql, params);
}

}  // namespace

Status DeleteAttachmentsAt(pg::Connection& conn, const CellKey& cell,
                           const std::vector<int>& positions) {
  if (positions.empty()) return Status::Ok();
  return RunOnCell(conn, cell,
                   "DELETE FROM airpg.attachments WHERE schema_name = $1 AND record_id = $2 AND "
                   "field_id = $3 AND position = ANY($4::int[])",
                   Ints(positions));
}

Status MoveAttachments(pg::Connection& conn, const CellKey& cell,
                       const std::vector<std::pair<int, int>>& moves) {
  if (moves.empty()) return Status::Ok();
  std::vector<int> from, to;
  for (const auto& [f, t] : moves) {
    from.push_back(f);
    to.push_back(t);
  }
  std::vector<pg::Param> params = Key(cell);
  params.push_back(Ints(from));
  AIRPG_RETURN_IF_ERROR(
      conn.Run("UPDATE airpg.attachments SET position = -1 - position WHERE schema_name = $1 AND "
               "record_id = $2 AND field_id = $3 AND position = ANY($4::int[])",
               params));
  params.push_back(Ints(to));
  return conn.Run(
      "UPDATE airpg.attachments a SET position = m.n FROM unnest($4::int[], $5::int[]) "
      "AS m(o, n) WHERE a.schema_name = $1 AND a.record_id = $2 AND a.field_id = $3 "
      "AND a.position = -1 - m.o",
      params);
}

Status AddUrlAttachment(pg::Connection& conn, const CellKey& cell, const std::string& table_id,
                        int position, const std::string& filename, const std::string& url,
                        const std::string& reserved_id) {
  std::vector<pg::Param> params = Key(cell);
  params.insert(params.end(), {table_id, std::to_string(position), filename, url, reserved_id});
  return conn.Run(
      "INSERT INTO airpg.attachments (schema_name, record_id, field_id, table_id, "
      "position, filename, source_url, reserved_id) "
      "VALUES ($1, $2, $3, $4, $5::int, $6, $7, $8)",
      params);
}

Status KeepOnlyAttachments(pg::Connection& conn, const CellKey& cell,
                           const std::vector<std::string>& airtable_ids) {
  return RunOnCell(conn, cell,
                   "DELETE FROM airpg.attachments WHERE schema_name = $1 AND record_id = $2 AND "
                   "field_id = $3 AND (attachment_id IS NULL OR attachment_id <> ALL($4::text[]))",
                   Texts(airtable_ids));
}

Status PutBackAttachments(pg::Connection& conn, const CellKey& cell,
                          const std::vector<std::string>& own,
                          const std::vector<std::string>& airtable_ids) {
  AIRPG_RETURN_IF_ERROR(
      RunOnCell(conn, cell,
                "DELETE FROM airpg.attachments WHERE schema_name = $1 AND record_id = $2 AND "
                "field_id = $3 AND attachment_id IS NOT NULL AND attachment_id <> ALL($4::text[])",
                Texts(own)));
  return RunOnCell(conn, cell,
                   "UPDATE airpg.attachments SET attachment_id = NULL WHERE schema_name = $1 AND "
                   "record_id = $2 AND field_id = $3 AND attachment_id <> ALL($4::text[])",
                   Texts(airtable_ids));
}

Status RecordSentAttachment(pg::Connection& conn, const CellKey& cell, int position,
                            const std::string& attachment_id) {
  std::vector<pg::Param> params = Key(cell);
  params.push_back(attachment_id);
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows echoed,
      conn.Exec("SELECT 1 FROM airpg.attachments WHERE schema_name = $1 AND record_id = $2 AND "
                "field_id = $3 AND attachment_id = $4",
                params));
  params.back() = std::to_string(position);
  if (echoed.size() > 0) {
    return conn.Run(
        "DELETE FROM airpg.attachments WHERE schema_name = $1 AND record_id = $2 AND "
        "field_id = $3 AND position = $4::int AND attachment_id IS NULL",
        params);
  }
  params.push_back(attachment_id);
  return conn.Run(
      "UPDATE airpg.attachments SET attachment_id = $5 WHERE schema_name = $1 AND "
      "record_id = $2 AND field_id = $3 AND position = $4::int AND attachment_id IS NULL",
      params);
}

Status DeleteCellAttachments(pg::Connection& conn, const CellKey& cell,
                             const std::string& table_id) {
  return conn.Run(
      "DELETE FROM airpg.attachments WHERE schema_name = $1 AND table_id = $2 AND "
      "record_id = $3 AND field_id = $4",
      {cell.schema, table_id, cell.record_id, cell.field_id});
}

Status MoveCellAttachments(pg::Connection& conn, const CellKey& cell, const std::string& table_id,
                           const std::string& record_id) {
  return conn.Run(
      "UPDATE airpg.attachments SET record_id = $5, position = position + (SELECT "
      "coalesce(max(b.position) + 1, 0) FROM airpg.attachments b WHERE b.schema_name = $1 AND "
      "b.record_id = $5 AND b.field_id = $4) WHERE schema_name = $1 AND table_id = $2 AND "
      "record_id = $3 AND field_id = $4",
      {cell.schema, table_id, cell.record_id, cell.field_id, record_id});
}

}  // namespace airpg::blobs
