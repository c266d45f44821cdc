// SyncStatus: what `airpg status` (and the dashboard) show about one base's
// sync, read from the catalog tables the sync writes — airpg.sync_bases (the
// webhook and its cursor), airpg.sync_tables (each table's lane, poll, sweep
// and held deletes), airpg.sync_events (ping → commit lag) and open dead
// letters. Read-only. "No data yet" is an empty optional, never 0; times are
// ISO 8601 with their offset (sync/iso_time.h). Single-thread per Connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::sync {

// Ping → commit lag over the last 24 hours, in milliseconds.
struct LagPercentiles {
  double p50 = 0, p95 = 0, p99 = 0;
};

struct TableSyncStatus {
  std::string table_id;
  std::string table_name;  // the Postgres table
  std::string lane;        // fast, normal or slow
  std::optional<std::string> last_poll_at, last_sweep_at, last_apply_at, last_error;
  std::optional<LagPercentiles> lag_ms;  // none: no ping brought a change in 24 h
  // The held delete sweep (delete_sweep.h): rows it would tombstone, of how
  // many live ones; none when nothing is held.
  std::optional<int64_t> held_deletes, held_of;
  int64_t dead_letters = 0;  // open ones
  // Two-way sync (authority.h, outbox_store.h, conflicts.h): who writes the
  // table, Postgres changes not yet in Airtable (the oldest one's time),
  // changes Airtable refused, and conflicts parked for a person.
  std::string authority = "airtable";
  int64_t outbox_pending = 0, outbox_dead = 0;
  std::optional<std::string> oldest_pending;
  int64_t outbox_failed = 0;  // pending changes whose last push failed (retrying)
  int64_t conflicts_open = 0;
  // Attachment cells changed in Postgres not yet in Airtable, and dead ones
  // (attachment_queue.h).
  int64_t attachments_pending = 0, attachments_dead = 0;
};

struct BaseSyncStatus {
  std::string base_id;
  std::string schema;
  // None until a sync has run: no webhook, no cursor.
  std::optional<std::string> webhook_id, notification_url, webhook_expires_at;
  std::optional<int64_t> cursor;
  std::optional<std::string> last_ping_at, last_payload_at;
  int64_t pings_24h = 0;
  std::optional<LagPercentiles> lag_ms;
  // Why writes to Airtable are stopped (a revoked or under-scoped token,
  // outbox_dispatcher.h); none while they run.
  std::optional<std::string> writes_stopped;
  std::vector<TableSyncStatus> tables;  // by table name
};

// kInvalidArgument when airpg has not migrated `base_id` (no live schema):
// there is nothing to show, and the name given is what to fix.
Result<BaseSyncStatus> ReadSyncStatus(pg::Connection& conn, const std::string& base_id);

}  // namespace airpg::sync
