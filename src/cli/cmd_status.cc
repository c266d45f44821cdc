// `airpg status`: the base's sync as sync::ReadSyncStatus reads it, as a
// table with headers or as JSON. What has no data yet is "-" in text and
// null in JSON, never 0; times are ISO 8601 with their offset.
#include <fmt/core.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/airtable_access.h"
#include "cli/cmd_sync.h"
#include "cli/error_line.h"
#include "cli/exit_code.h"
#include "sync/sync_status.h"

namespace airpg::cli {
namespace {

using nlohmann::json;

template <typename T>
json OrNull(const std::optional<T>& value) {
  return value ? json(*value) : json();
}

json LagJson(const std::optional<sync::LagPercentiles>& lag) {
  if (!lag) return json();
  return {{"p50", lag->p50}, {"p95", lag->p95}, {"p99", lag->p99}};
}

json StatusJson(const sync::BaseSyncStatus& s) {
  json out = {{"base_id", s.base_id},
              {"schema", s.schema},
              {"webhook_id", OrNull(s.webhook_id)},
              {"notification_url", OrNull(s.notification_url)},
              {"webhook_expires_at", OrNull(s.webhook_expires_at)},
              {"cursor", OrNull(s.cursor)},
              {"last_ping_at", OrNull(s.last_ping_at)},
              {"last_payload_at", OrNull(s.last_payload_at)},
              {"pings_24h", s.pings_24h},
              {"lag_ms", LagJson(s.lag_ms)},
              {"writes_stopped", OrNull(s.writes_stopped)},
              {"tables", json::array()}};
  for (const auto& t : s.tables) {
    json held;
    if (t.held_deletes) held = {{"missing", *t.held_deletes}, {"live", OrNull(t.held_of)}};
    out["tables"].push_back({{"table_id", t.table_id},
                             {"table", t.table_name},
                             {"lane", t.lane},
                             {"lag_ms", LagJson(t.lag_ms)},
                             {"last_poll_at", OrNull(t.last_poll_at)},
                             {"last_sweep_at", OrNull(t.last_sweep_at)},
                             {"last_apply_at", OrNull(t.last_apply_at)},
                             {"last_error", OrNull(t.last_error)},
                             {"held_deletes", held},
                             {"dead_letters", t.dead_letters},
                             {"authority", t.authority},
                             {"outbox_pending", t.outbox_pending},
                             {"outbox_oldest_pending", OrNull(t.oldest_pending)},
                             {"outbox_dead", t.outbox_dead},
                             {"outbox_failed", t.outbox_failed},
                             {"conflicts_open", t.conflicts_open},
                             {"attachments_pending", t.attachments_pending},
                             {"attachments_dead", t.attachments_dead}});
  }
  return out;
}

std::string Dash(const std::optional<std::string>& text) {
  return text && !text->empty() ? *text : "-";
}

void PrintStatusText(const sync::BaseSyncStatus& s) {
  std::cout << fmt::format("base {} → schema {}\n", s.base_id, s.schema);
  std::cout << fmt::format("webhook {} (pings to {}), expires {}\n", Dash(s.webhook_id),
                           Dash(s.notification_url), Dash(s.webhook_expires_at));
  std::cout << fmt::format("payload cursor {}, last ping {}, last payload {}\n",
                           s.cursor ? std::to_string(*s.cursor) : "-", Dash(s.last_ping_at),
                           Dash(s.last_payload_at));
  std::cout << fmt::format("ping → commit lag (24 h, {} pings): {}\n", s.pings_24h,
                           s.lag_ms ? fmt::format("p50 {:.0f} ms, p95 {:.0f} ms, p99 {:.0f} ms",
                                                  s.lag_ms->p50, s.lag_ms->p95, s.lag_ms->p99)
                                    : "-");
  if (s.writes_stopped) {
    std::cout << fmt::format(
        "writes to Airtable: STOPPED — {}\n  fix the token, then start `airpg sync` again\n",
        *s.writes_stopped);
  }
  std::cout << "\n";
  constexpr const char* kRow =
      "{:<28} {:<6} {:<9} {:>14} {:<25} {:<25} {:>4} {:>7} {:<25} {:>6} {:>4} {:>9} {:>5} {}\n";
  std::cout << fmt::format(kRow, "TABLE", "LANE", "AUTHORITY", "LAG p50/p99 ms", "LAST POLL",
                           "LAST SWEEP", "DLQ", "PENDING", "OLDEST PENDING", "FAILED", "DEAD",
                           "CONFLICTS", "FILES", "HELD DELETES");
  bool any_held = false;
  for (const auto& t : s.tables) {
    std::string lag =
        t.lag_ms ? fmt::format("{:.0f}/{:.0f}", t.lag_ms->p50, t.lag_ms->p99) : std::string("-");
    std::string held = "-";
    if (t.held_deletes) {
      any_held = true;
      held = t.held_of ? fmt::format("{} of {}", *t.held_deletes, *t.held_of)
                       : std::to_string(*t.held_deletes);
    }
    std::cout << fmt::format(kRow, t.table_name, t.lane, t.authority, lag, Dash(t.last_poll_at),
                             Dash(t.last_sweep_at), t.dead_letters, t.outbox_pending,
                             Dash(t.oldest_pending), t.outbox_failed, t.outbox_dead,
                             t.conflicts_open, t.attachments_pending + t.attachments_dead, held);
  }
  if (any_held) {
    std::cout << "\nA held delete sweep applies nothing until released: check the token's "
                 "access, then run `airpg sync release-deletes TABLE`.\n";
  }
}

}  // namespace

int RunStatus(const Config& config, const SyncCliOptions& options) {
  Result<std::string> base_id = ResolveBaseId(config, options.base);
  if (!base_id.ok()) return Fail(base_id.status());
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  Result<sync::BaseSyncStatus> status = sync::ReadSyncStatus(db->conn, *base_id);
  if (!status.ok()) return Fail(status.status());
  if (options.json) {
    std::cout << StatusJson(*status).dump(2) << "\n";
  } else {
    PrintStatusText(*status);
  }
  return kExitOk;
}

}  // namespace airpg::cli
