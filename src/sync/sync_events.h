// airpg.sync_events: the history `airpg status` and the dashboard read —
// one row per applied payload window, poll, sweep, held delete, schema change
// or error, written in the transaction of the work it describes (so a
// rolled-back step leaves no event claiming it happened). Single-thread per
// Connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "pg/connection.h"

namespace airpg::sync {

struct SyncEvent {
  std::string base_id;
  std::string table_id;  // "" for the whole base
  std::string kind;      // webhook, poll, sweep, delete_held, schema, error
  int64_t records = 0;
  int64_t requests = 0;
  std::optional<double> lag_ms;  // ping → commit
  std::string detail_json;       // "" for none
};

Status RecordEvent(pg::Connection& conn, const SyncEvent& event);

}  // namespace airpg::sync
