#include "migrate/last_run_counts.h"

namespace airpg::migrate {

Result<std::map<std::string, int64_t>> LastRunRecordCounts(pg::Connection& conn,
                                                           std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                         conn.Exec("SELECT t.table_id, t.records_read FROM airpg.bases b "
                                   "JOIN airpg.run_tables t ON t.run_id = b.active_run_id "
                                   "WHERE b.base_id = $1 AND t.records_read IS NOT NULL",
                                   {std::string(base_id)}));
  std::map<std::string, int64_t> counts;
  for (int i = 0; i < rows.size(); ++i) {
    counts[std::string(rows.Get(i, 0))] = std::stoll(std::string(rows.Get(i, 1)));
  }
  return counts;
}

}  // namespace airpg::migrate
