// RefreshStaleViews: the sync's side of the per-view snapshots
// (pg/view_snapshots.h). A webhook payload or a poll that changes a table's
// records marks its views stale; BaseSyncer calls this at most once every
// SyncerOptions::view_refresh, and it reads the views of the stale tables
// again. Being a good neighbour: a table of n views costs one meta request
// for the base plus at least n listings, so they go at the lowest pacer
// priority (behind the application's proxied requests, the payloads, polls
// and sweeps). No transaction is open while Airtable is read. Single-thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "airtable/client.h"
#include "base/result.h"
#include "pg/connection.h"

namespace airpg::sync {

struct ViewRefreshResult {
  int64_t tables = 0;  // tables whose views were read again
  int64_t views = 0;
};

// Reads again the views of every table of the base with a stale view.
// `before_table`, when given, runs before each table's reads (BaseSyncer
// reads a waiting ping there, so a many-view refresh never holds it long).
Result<ViewRefreshResult> RefreshStaleViews(
    airtable::Client& client, pg::Connection& conn, std::string_view base_id,
    const std::function<void()>& before_table = nullptr,
    airtable::Priority priority = airtable::Priority::kVerification);

}  // namespace airpg::sync
