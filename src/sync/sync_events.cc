#include "sync/sync_events.h"

#include <fmt/core.h>

namespace airpg::sync {

Status RecordEvent(pg::Connection& conn, const SyncEvent& e) {
  return conn.Run(
      "INSERT INTO airpg.sync_events (base_id, table_id, kind, records, requests, lag_ms, detail) "
      "VALUES ($1, nullif($2, ''), $3, $4::int, $5::int, $6::float8, $7::jsonb)",
      {e.base_id, e.table_id, e.kind, std::to_string(e.records), std::to_string(e.requests),
       e.lag_ms ? pg::Param(fmt::format("{:.3f}", *e.lag_ms)) : pg::Param(),
       e.detail_json.empty() ? pg::Param() : pg::Param(e.detail_json)});
}

}  // namespace airpg::sync
