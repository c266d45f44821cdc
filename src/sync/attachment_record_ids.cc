#include "sync/attachment_record_ids.h"

#include <fmt/core.h>

#include "base/sql_identifier.h"
#include "blobs/attachment_cell_rows.h"
#include "pg/transaction.h"

namespace airpg::sync {

bool IsRowRecordId(const std::string& record_id) {
  return record_id.rfind(kRowRecordPrefix, 0) == 0;
}

Result<RowRecordState> MoveToRecordId(pg::Connection& conn, const std::string& schema,
                                      const std::string& table_id, const std::string& field_id,
                                      std::string* record_id) {
  const std::string placeholder = *record_id;
  const std::string row_id = placeholder.substr(sizeof(kRowRecordPrefix) - 1);
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  AIRPG_RETURN_IF_ERROR(tx.Run("SET LOCAL airpg.origin = 'airtable'"));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows table,
      tx.Exec("SELECT table_name FROM airpg.tables WHERE table_id = $1", {table_id}));
  std::optional<std::string> rec;
  bool live = false;
  if (!table.empty()) {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows row,
        tx.Exec(fmt::format("SELECT airtable_id, deleted_at IS NULL FROM {} WHERE id = "
                            "$1::bigint",
                            QualifiedName(schema, table.Get(0, 0))),
                {row_id}));
    if (!row.empty()) {
      live = row.Get(0, 1) == "t";
      if (!row.IsNull(0, 0)) rec = std::string(row.Get(0, 0));
    }
  }
  const std::vector<pg::Param> cell = {schema, table_id, placeholder, field_id};
  if (!live) {
    AIRPG_RETURN_IF_ERROR(
        blobs::DeleteCellAttachments(conn, {schema, placeholder, field_id}, table_id));
    AIRPG_RETURN_IF_ERROR(
        tx.Run("DELETE FROM airpg.attachment_outbox WHERE table_id = $2 AND record_id = $3 AND "
               "field_id = $4 AND schema_name = $1",
               cell));
    AIRPG_RETURN_IF_ERROR(tx.Commit());
    return RowRecordState::kGone;
  }
  if (!rec) return RowRecordState::kWaiting;
  std::vector<pg::Param> moved = cell;
  moved.push_back(*rec);
  // After whatever the record's cell holds already, in the order added.
  AIRPG_RETURN_IF_ERROR(
      blobs::MoveCellAttachments(conn, {schema, placeholder, field_id}, table_id, *rec));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows merged,
      tx.Exec("UPDATE airpg.attachment_outbox SET changed_at = clock_timestamp(), available_at = "
              "clock_timestamp(), status = 'pending' WHERE table_id = $2 AND record_id = $3 AND "
              "field_id = $4 AND schema_name = $1 RETURNING 1",
              {schema, table_id, *rec, field_id}));
  if (!merged.empty()) {
    AIRPG_RETURN_IF_ERROR(
        tx.Run("DELETE FROM airpg.attachment_outbox WHERE table_id = $2 AND record_id = $3 AND "
               "field_id = $4 AND schema_name = $1",
               cell));
  } else {
    AIRPG_RETURN_IF_ERROR(
        tx.Run("UPDATE airpg.attachment_outbox SET record_id = $5 WHERE table_id = $2 AND "
               "record_id = $3 AND field_id = $4 AND schema_name = $1",
               moved));
  }
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  *record_id = *rec;
  return merged.empty() ? RowRecordState::kMoved : RowRecordState::kMerged;
}

}  // namespace airpg::sync
