#include "pg/outbox_backlog.h"

namespace airpg::pg {

// Both use outbox_record_idx (table_id, row_id) WHERE status = 'pending'.
Result<int64_t> LastPendingChange(Connection& conn, const std::string& table_id) {
  AIRPG_ASSIGN_OR_RETURN(Rows rows, conn.Exec("SELECT coalesce(max(outbox_id), 0) FROM "
                                              "airpg.outbox WHERE table_id = $1 AND status = "
                                              "'pending'",
                                              {table_id}));
  return std::stoll(std::string(rows.Get(0, 0)));
}

Result<bool> PendingThrough(Connection& conn, const std::string& table_id, int64_t last) {
  AIRPG_ASSIGN_OR_RETURN(
      Rows rows, conn.Exec("SELECT EXISTS (SELECT 1 FROM airpg.outbox WHERE table_id = $1 AND "
                           "status = 'pending' AND outbox_id <= $2::bigint)",
                           {table_id, std::to_string(last)}));
  return rows.Get(0, 0) == "t";
}

}  // namespace airpg::pg
