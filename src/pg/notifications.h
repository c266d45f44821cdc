// WaitForNotification: LISTEN/NOTIFY on one Connection, for a thread that
// watches a channel (api/catalog_watch.h). Postgres delivers a NOTIFY only
// once the transaction that sent it commits, so a listener that reads after
// being woken sees the change. Single-thread, as the Connection it uses.
#pragma once

#include <chrono>
#include <string_view>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::pg {

// LISTEN on `channel` (quoted).
Status Listen(Connection& conn, std::string_view channel);

// Waits at most `timeout` for notifications on the channels `conn` listens
// on; the number that arrived (all are consumed), 0 on timeout.
// kUnavailable when the connection is lost.
Result<int> WaitForNotification(Connection& conn, std::chrono::milliseconds timeout);

}  // namespace airpg::pg
