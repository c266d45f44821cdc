#include "sync/attachment_queue.h"

namespace airpg::sync {
namespace {

std::string IdArray(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

}  // namespace

Result<int64_t> PendingAttachmentCells(pg::Connection& conn, const std::string& base_id) {
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                         conn.Exec("SELECT count(*) FROM airpg.attachment_outbox WHERE base_id = "
                                   "$1 AND status = 'pending'",
                                   {base_id}));
  return std::stoll(std::string(rows.Get(0, 0)));
}

Result<AttachmentQueueDepth> ReadAttachmentQueueDepth(pg::Connection& conn,
                                                      const std::string& table_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE "
                "status = 'dead') FROM airpg.attachment_outbox WHERE table_id = $1",
                {table_id}));
  return AttachmentQueueDepth{std::stoll(std::string(rows.Get(0, 0))),
                              std::stoll(std::string(rows.Get(0, 1)))};
}

Result<std::vector<DeadAttachmentCell>> ListDeadAttachmentCells(pg::Connection& conn,
                                                                const std::string& base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT cell_id, table_id, record_id, field_id, coalesce(last_error, '') FROM "
                "airpg.attachment_outbox WHERE base_id = $1 AND status = 'dead' ORDER BY cell_id",
                {base_id}));
  std::vector<DeadAttachmentCell> out;
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back({std::stoll(std::string(rows.Get(i, 0))), std::string(rows.Get(i, 1)),
                   std::string(rows.Get(i, 2)), std::string(rows.Get(i, 3)),
                   std::string(rows.Get(i, 4))});
  }
  return out;
}

Result<int64_t> ReplayDeadAttachmentCells(pg::Connection& conn, const std::string& base_id,
                                          const std::vector<int64_t>& ids) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("UPDATE airpg.attachment_outbox SET status = 'pending', attempts = 0, "
                "available_at = clock_timestamp(), lease_owner = NULL, lease_until = NULL WHERE "
                "base_id = $1 AND status = 'dead' AND (cardinality($2::bigint[]) = 0 OR cell_id "
                "= ANY($2::bigint[]))",
                {base_id, IdArray(ids)}));
  return rows.AffectedRows();
}

}  // namespace airpg::sync
