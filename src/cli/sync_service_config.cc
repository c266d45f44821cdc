#include "cli/sync_service_config.h"

#include <fmt/core.h>

#include "cli/authority_config.h"
#include "daemon/webhook_receiver.h"
#include "migrate/migrator.h"
#include "sync/lane.h"

namespace airpg::cli {
namespace {

// The configured lanes and poll intervals, by table id. `poll_seconds` (the
// flag, else sync.poll_seconds) applies to every table without a lane or
// interval of its own. A table the base does not have is an error naming the
// ones it has.
Status ApplyTableSettings(const mapping::SchemaPlan& plan, const SyncConfig& sync, int poll_seconds,
                          sync::SyncerOptions& out) {
  if (poll_seconds > 0) {
    for (const auto& t : plan.tables) {
      out.poll_intervals[t.table_id] = std::chrono::seconds(poll_seconds);
    }
  }
  for (const auto& [name, settings] : sync.tables) {
    const mapping::TablePlan* table = nullptr;
    for (const auto& t : plan.tables) {
      if (t.table_id == name || t.airtable_name == name || t.table_name == name) table = &t;
    }
    if (table == nullptr) {
      std::string known;
      for (const auto& t : plan.tables) known += (known.empty() ? "" : ", ") + t.airtable_name;
      return InvalidArgumentError(
          fmt::format("sync.tables.{}: the base has no such table (it has: {})", name, known));
    }
    if (!settings.lane.empty()) {
      out.lanes[table->table_id] = *sync::ParseLane(settings.lane);
      out.poll_intervals.erase(table->table_id);  // the lane's own interval
    }
    if (settings.poll_seconds > 0) {
      out.poll_intervals[table->table_id] = std::chrono::seconds(settings.poll_seconds);
    }
  }
  return Status::Ok();
}

}  // namespace

daemon::SyncServiceOptions SyncServiceOptionsFor(const Config& config, const SyncFlags& flags,
                                                 const std::string& base_id,
                                                 const std::string& conninfo) {
  daemon::SyncServiceOptions so;
  so.base_id = base_id;
  so.conninfo = conninfo;
  so.loopback_pings = flags.loopback_pings;
  // Told nothing about pings: the hook stays pointed where it was (asking
  // for another URL would replace the hook and lose its pending payloads).
  so.keep_recorded_url = !flags.loopback_pings && flags.public_url.empty();
  if (!flags.public_url.empty()) {
    std::string url = flags.public_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    so.notification_url = url + std::string(daemon::kWebhookPath);
    so.public_url = url;
  }
  so.attachments_dir = flags.attachments_dir;
  so.max_attachment_bytes = config.attachments_max_mb << 20;
  so.blob_signing_key = config.blob_signing_key.value_or("");
  so.syncer.sweep_interval = std::chrono::minutes(config.sync.sweep_minutes);
  so.syncer.view_refresh = std::chrono::seconds(config.sync.view_refresh_seconds);
  so.syncer.sweep.max_share = config.sync.max_delete_share;
  so.syncer.sweep.min_held = config.sync.min_held_deletes;
  so.schema.drop_removed = config.sync.drop_removed_fields;
  // Two-way sync: the authority matrix (which the write guard enforces, also
  // on serve's postgres-mode writes) and the outbox that carries Postgres's
  // writes to Airtable.
  so.authority = AuthorityConfigOf(config.sync);
  so.outbox.claim.debounce = std::chrono::milliseconds(config.sync.debounce_ms);
  so.outbox.max_delete_share = config.sync.max_delete_share;
  so.outbox.min_held_deletes = config.sync.min_held_deletes;
  so.outbox_attachments.upload_max_bytes = config.sync.attachment_upload_max_bytes;
  return so;
}

Status ApplyTableSettingsFor(const Config& config, const SyncFlags& flags, airtable::Client& client,
                             pg::Connection& conn, const std::string& base_id,
                             sync::SyncerOptions& out) {
  const int poll_seconds = flags.poll_seconds > 0 ? flags.poll_seconds : config.sync.poll_seconds;
  if (poll_seconds <= 0 && config.sync.tables.empty()) return Status::Ok();
  Result<mapping::SchemaPlan> plan = migrate::PlanBase(client, &conn, base_id, {});
  if (!plan.ok()) return plan.status();
  return ApplyTableSettings(*plan, config.sync, poll_seconds, out);
}

}  // namespace airpg::cli
