#include "sync/sync_status.h"

#include <fmt/core.h>

#include <map>

#include "sync/attachment_queue.h"
#include "sync/authority.h"
#include "sync/conflicts.h"
#include "sync/iso_time.h"
#include "sync/outbox_store.h"

namespace airpg::sync {
namespace {

std::optional<int64_t> OptionalInt(const pg::Rows& rows, int row, int col) {
  if (rows.IsNull(row, col)) return std::nullopt;
  return std::stoll(std::string(rows.Get(row, col)));
}

// Columns `col`, +1, +2 as p50, p95, p99; none when p50 is NULL (no pings).
std::optional<LagPercentiles> Lag(const pg::Rows& rows, int row, int col) {
  if (rows.IsNull(row, col)) return std::nullopt;
  auto ms = [&](int c) { return std::stod(std::string(rows.Get(row, c))); };
  return LagPercentiles{ms(col), ms(col + 1), ms(col + 2)};
}

constexpr const char* kPercentiles =
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_ms), "
    "percentile_cont(0.95) WITHIN GROUP (ORDER BY lag_ms), "
    "percentile_cont(0.99) WITHIN GROUP (ORDER BY lag_ms)";

}  // namespace

Result<BaseSyncStatus> ReadSyncStatus(pg::Connection& conn, const std::string& base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows base,
      conn.Exec(
          fmt::format(
              "SELECT b.schema_name, s.webhook_id, s.notification_url, {}, s.cursor, "
              "{}, {}, s.writes_stopped FROM airpg.bases b LEFT JOIN airpg.sync_bases s USING "
              "(base_id) WHERE b.base_id = $1 AND b.active_run_id IS NOT NULL",
              IsoTimeSql("s.webhook_expires_at"), IsoTimeSql("s.last_ping_at"),
              IsoTimeSql("s.last_payload_at")),
          {base_id}));
  if (base.empty()) {
    return InvalidArgumentError(fmt::format(
        "base {} has not been migrated: run `airpg migrate --base {}` first", base_id, base_id));
  }
  BaseSyncStatus out;
  out.base_id = base_id;
  out.schema = base.Get(0, 0);
  out.webhook_id = base.Optional(0, 1);
  out.notification_url = base.Optional(0, 2);
  out.webhook_expires_at = base.Optional(0, 3);
  out.cursor = OptionalInt(base, 0, 4);
  out.last_ping_at = base.Optional(0, 5);
  out.last_payload_at = base.Optional(0, 6);
  out.writes_stopped = base.Optional(0, 7);

  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows lag, conn.Exec(fmt::format("SELECT count(*), {} FROM airpg.sync_events WHERE "
                                          "base_id = $1 AND kind = 'ping_lag' AND at > now() - "
                                          "interval '24 hours'",
                                          kPercentiles),
                              {base_id}));
  out.pings_24h = std::stoll(std::string(lag.Get(0, 0)));
  out.lag_ms = Lag(lag, 0, 1);

  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows table_lag,
      conn.Exec(fmt::format("SELECT table_id, {} FROM airpg.sync_events WHERE base_id = $1 AND "
                            "kind = 'ping_lag' AND table_id IS NOT NULL AND at > now() - "
                            "interval '24 hours' GROUP BY table_id",
                            kPercentiles),
                {base_id}));
  std::map<std::string, LagPercentiles> lag_by_table;
  for (int i = 0; i < table_lag.size(); ++i) {
    if (auto l = Lag(table_lag, i, 1)) lag_by_table[std::string(table_lag.Get(i, 0))] = *l;
  }

  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows tables,
      conn.Exec(
          fmt::format("SELECT t.table_id, t.table_name, coalesce(s.lane, 'normal'), {}, {}, {}, "
                      "s.last_error, (s.held_deletes ->> 'missing')::bigint, "
                      "(s.held_deletes ->> 'live')::bigint, (SELECT count(*) FROM "
                      "airpg.dead_letters d WHERE d.table_id = t.table_id AND d.status IN "
                      "('retrying', 'dead')) FROM airpg.tables t LEFT JOIN airpg.sync_tables s "
                      "USING (table_id) WHERE t.base_id = $1 ORDER BY t.table_name",
                      IsoTimeSql("s.last_poll_at"), IsoTimeSql("s.last_sweep_at"),
                      IsoTimeSql("s.last_apply_at")),
          {base_id}));
  AIRPG_ASSIGN_OR_RETURN(auto authority, LoadAuthority(conn, base_id));
  AIRPG_ASSIGN_OR_RETURN(auto conflicts, OpenConflictsByTable(conn, base_id));
  for (int i = 0; i < tables.size(); ++i) {
    TableSyncStatus t;
    t.table_id = tables.Get(i, 0);
    t.table_name = tables.Get(i, 1);
    t.lane = tables.Get(i, 2);
    t.last_poll_at = tables.Optional(i, 3);
    t.last_sweep_at = tables.Optional(i, 4);
    t.last_apply_at = tables.Optional(i, 5);
    t.last_error = tables.Optional(i, 6);
    t.held_deletes = OptionalInt(tables, i, 7);
    t.held_of = OptionalInt(tables, i, 8);
    t.dead_letters = std::stoll(std::string(tables.Get(i, 9)));
    if (auto l = lag_by_table.find(t.table_id); l != lag_by_table.end()) t.lag_ms = l->second;
    if (auto a = authority.find(t.table_id); a != authority.end()) {
      t.authority = AuthorityName(a->second.authority);
    }
    AIRPG_ASSIGN_OR_RETURN(OutboxDepth depth, ReadOutboxDepth(conn, t.table_id));
    t.outbox_pending = depth.pending;
    t.outbox_dead = depth.dead;
    t.outbox_failed = depth.failed;
    if (!depth.oldest_pending.empty()) t.oldest_pending = depth.oldest_pending;
    if (auto c = conflicts.find(t.table_id); c != conflicts.end()) t.conflicts_open = c->second;
    AIRPG_ASSIGN_OR_RETURN(AttachmentQueueDepth files, ReadAttachmentQueueDepth(conn, t.table_id));
    t.attachments_pending = files.pending;
    t.attachments_dead = files.dead;
    out.tables.push_back(std::move(t));
  }
  return out;
}

}  // namespace airpg::sync
