#include "sync/attachment_queue.h"

#include <nlohmann/json.hpp>

namespace airpg::sync {
namespace {

std::string IdArray(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

std::vector<std::string> Strings(std::string_view json_text) {
  std::vector<std::string> out;
  nlohmann::json items = nlohmann::json::parse(json_text, nullptr, false);
  if (items.is_array()) {
    for (const auto& id : items) {
      if (id.is_string()) out.push_back(id.get<std::string>());
    }
  }
  return out;
}

std::vector<pg::Param> Key(const QueuedCell& c) { return {c.table_id, c.record_id, c.field_id}; }

}  // namespace

Result<std::vector<QueuedCell>> ClaimAttachmentCells(pg::Connection& conn,
                                                     const std::string& base_id,
                                                     const std::string& owner, int max_cells,
                                                     std::chrono::milliseconds lease) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("WITH due AS (SELECT table_id, record_id, field_id FROM airpg.attachment_outbox "
                " WHERE base_id = $1 AND status = 'pending' AND available_at <= clock_timestamp() "
                "   AND (lease_until IS NULL OR lease_until < clock_timestamp()) "
                " ORDER BY available_at LIMIT $2::int FOR UPDATE SKIP LOCKED) "
                "UPDATE airpg.attachment_outbox o SET lease_owner = $3, attempts = o.attempts + 1, "
                " lease_until = clock_timestamp() + $4::bigint * interval '1 millisecond' FROM due "
                "WHERE o.table_id = due.table_id AND o.record_id = due.record_id "
                " AND o.field_id = due.field_id "
                "RETURNING o.table_id, o.record_id, o.field_id, o.schema_name, "
                " array_to_json(o.removed_ids)::text, o.changed_at::text, o.attempts, "
                " array_to_json(o.base_ids)::text",
                {base_id, std::to_string(max_cells), owner, std::to_string(lease.count())}));
  std::vector<QueuedCell> cells;
  for (int i = 0; i < rows.size(); ++i) {
    QueuedCell c;
    c.table_id = rows.Get(i, 0);
    c.record_id = rows.Get(i, 1);
    c.field_id = rows.Get(i, 2);
    c.schema = rows.Get(i, 3);
    c.removed_ids = Strings(rows.Get(i, 4));
    c.changed_at = rows.Get(i, 5);
    c.attempts = std::stoi(std::string(rows.Get(i, 6)));
    c.base_ids = Strings(rows.Get(i, 7));
    cells.push_back(std::move(c));
  }
  return cells;
}

Status CompleteAttachmentCell(pg::Connection& conn, const QueuedCell& c) {
  std::vector<pg::Param> params = Key(c);
  params.push_back(c.changed_at);
  AIRPG_RETURN_IF_ERROR(
      conn.Run("DELETE FROM airpg.attachment_outbox WHERE table_id = $1 AND record_id = $2 AND "
               "field_id = $3 AND changed_at = $4::timestamptz",
               params));
  return conn.Run(
      "UPDATE airpg.attachment_outbox SET lease_owner = NULL, lease_until = NULL, attempts = 0 "
      "WHERE table_id = $1 AND record_id = $2 AND field_id = $3",
      Key(c));
}

Status DeferAttachmentCell(pg::Connection& conn, const QueuedCell& c,
                           std::chrono::milliseconds wait) {
  std::vector<pg::Param> params = Key(c);
  params.push_back(std::to_string(wait.count()));
  return conn.Run(
      "UPDATE airpg.attachment_outbox SET lease_owner = NULL, lease_until = NULL, attempts = 0, "
      "available_at = clock_timestamp() + $4::bigint * interval '1 millisecond' WHERE table_id = "
      "$1 AND record_id = $2 AND field_id = $3",
      params);
}

Status FailAttachmentCell(pg::Connection& conn, const QueuedCell& c, const std::string& error,
                          bool dead, std::chrono::milliseconds retry) {
  std::vector<pg::Param> params = Key(c);
  params.push_back(error);
  if (dead) {
    return conn.Run(
        "UPDATE airpg.attachment_outbox SET status = 'dead', last_error = $4, lease_owner = NULL, "
        "lease_until = NULL WHERE table_id = $1 AND record_id = $2 AND field_id = $3",
        params);
  }
  params.push_back(std::to_string(retry.count()));
  return conn.Run(
      "UPDATE airpg.attachment_outbox SET last_error = $4, lease_owner = NULL, lease_until = "
      "NULL, available_at = clock_timestamp() + $5::bigint * interval '1 millisecond' "
      "WHERE table_id = $1 AND record_id = $2 AND field_id = $3",
      params);
}

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
