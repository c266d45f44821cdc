#include "sync/webhook_keeper.h"

#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include "base/json_escape.h"
#include "base/log.h"
#include "base/redact.h"
#include "pg/transaction.h"

namespace airpg::sync {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

// Airtable's cap on hooks per base (API.md §6.1).
constexpr size_t kHooksPerBase = 10;

// What airpg.sync_bases says about the base's hook.
struct Stored {
  std::string webhook_id;
  std::string mac_secret_base64;  // a secret: registered for redaction, never logged
};

// Reads the base's row under the lock; kFailedPrecondition for a base that
// was never migrated (sync_bases rows hang off airpg.bases).
Result<Stored> ReadStored(pg::Transaction& tx, std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows, tx.Exec("SELECT s.webhook_id, s.mac_secret_base64 FROM airpg.bases b"
                             " LEFT JOIN airpg.sync_bases s USING (base_id) WHERE b.base_id = $1",
                             {std::string(base_id)}));
  if (rows.empty()) {
    return FailedPreconditionError(
        fmt::format("base {} is not in the airpg catalog: migrate it before syncing", base_id));
  }
  Stored stored{std::string(rows.Get(0, 0)), std::string(rows.Get(0, 1))};
  RegisterSecret(stored.mac_secret_base64);
  return stored;
}

// Airtable writes times as "2023-11-12T06:55:47.872Z".
std::optional<TimePoint> ParseAirtableTime(const std::string& text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day, &hour, &minute,
                  &second) != 6) {
    return std::nullopt;
  }
  std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                   std::chrono::day(day)};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second);
}

// Why our hook cannot be kept, or "" when it can.
std::string Unusable(const airtable::WebhookInfo* ours, const Stored& stored,
                     const std::string& notification_url, TimePoint now) {
  if (ours == nullptr) return stored.webhook_id.empty() ? "none on record" : "missing";
  if (!ours->is_hook_enabled) return "disabled";
  std::optional<TimePoint> expires = ParseAirtableTime(ours->expiration_time);
  if (expires && *expires <= now) return "expired";
  if (ours->notification_url != notification_url) return "notification URL changed";
  if (stored.mac_secret_base64.empty()) return "no secret on record";
  return "";
}

// Ours is fine: turn pings back on and refresh as needed, and record the
// expiry. nullopt when Airtable refuses the refresh (the hook expired or broke
// since it was listed): then it is replaced.
Result<std::optional<WebhookState>> Keep(airtable::Client& client, pg::Transaction& tx,
                                         std::string_view base_id,
                                         const airtable::WebhookInfo& ours,
                                         const WebhookKeeperOptions& options, TimePoint now) {
  WebhookState state{ours.id, ours.notification_url, ours.expiration_time};
  if (!options.notification_url.empty() && !ours.are_notifications_enabled) {
    AIRPG_RETURN_IF_ERROR(client.EnableNotifications(base_id, ours.id, true));
    state.notifications_enabled = true;
    log::Info("base {}: switched the pings of webhook {} back on", base_id, ours.id);
  }
  std::optional<TimePoint> expires = ParseAirtableTime(ours.expiration_time);
  if (!expires || *expires - now < options.refresh_within) {
    Result<std::string> refreshed = client.RefreshWebhook(base_id, ours.id);
    if (!refreshed.ok() && refreshed.status().code() == StatusCode::kInvalidArgument) {
      log::Warn("base {}: webhook {} could not be refreshed: {}", base_id, ours.id,
                refreshed.status().message());
      return std::optional<WebhookState>();
    }
    if (!refreshed.ok()) return refreshed.status();
    state.expiration_time = *refreshed;
    state.refreshed = true;
  }
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      tx.Exec("UPDATE airpg.sync_bases SET webhook_expires_at = $2::timestamptz, updated_at = now()"
              " WHERE base_id = $1 RETURNING cursor",
              {std::string(base_id), state.expiration_time}));
  if (!rows.empty()) state.cursor = std::stoll(std::string(rows.Get(0, 0)));
  return std::optional<WebhookState>(std::move(state));
}

// Ours cannot be kept: delete it when it is still listed, create a new hook
// and store it with cursor 1, committing `tx` (payload numbers start at 1 on every hook, so 1
// is exact for a new one; taking cursorForNextPayload from a later listing
// could skip a payload made in between).
Result<WebhookState> Replace(airtable::Client& client, pg::Transaction& tx,
                             std::string_view base_id,
                             const std::vector<airtable::WebhookInfo>& hooks,
                             const airtable::WebhookInfo* ours, const std::string& reason,
                             const WebhookKeeperOptions& options) {
  size_t foreign = hooks.size() - (ours != nullptr ? 1 : 0);
  if (foreign >= kHooksPerBase) {
    return FailedPreconditionError(fmt::format(
        "base {} already has {} webhooks, none of them airpg's, and Airtable allows at most {} "
        "per base: delete one of them so airpg can create its own",
        base_id, foreign, kHooksPerBase));
  }
  std::string old_id = ours != nullptr ? ours->id : "";
  if (ours != nullptr) {
    Status deleted = client.DeleteWebhook(base_id, ours->id);
    if (!deleted.ok() && deleted.code() != StatusCode::kNotFound) return deleted;
  }
  AIRPG_ASSIGN_OR_RETURN(
      airtable::CreatedWebhook created,
      client.CreateWebhook(base_id, options.notification_url, kWebhookSpecification));
  RegisterSecret(created.mac_secret_base64);
  // A first hook is the caller's to announce; a replaced one loses payloads.
  if (!old_id.empty() || reason != "none on record") {
    log::Warn(
        "base {}: replaced webhook {} with {} ({}); its payloads not yet applied are "
        "lost, so every table is polled and swept now",
        base_id, old_id.empty() ? "-" : old_id, created.id, reason);
  }
  Status stored = tx.Run(
      "INSERT INTO airpg.sync_bases AS s (base_id, webhook_id, mac_secret_base64,"
      " notification_url, webhook_expires_at, cursor, updated_at)"
      " VALUES ($1, $2, $3, NULLIF($4, ''), $5::timestamptz, 1, now())"
      " ON CONFLICT (base_id) DO UPDATE SET webhook_id = EXCLUDED.webhook_id,"
      " mac_secret_base64 = EXCLUDED.mac_secret_base64,"
      " notification_url = EXCLUDED.notification_url,"
      " webhook_expires_at = EXCLUDED.webhook_expires_at, cursor = 1, updated_at = now()",
      {std::string(base_id), created.id, created.mac_secret_base64, options.notification_url,
       created.expiration_time});
  if (stored.ok()) {
    stored = tx.Run(
        "INSERT INTO airpg.sync_events (base_id, kind, detail)"
        " VALUES ($1, 'webhook_recreated', $2::jsonb)",
        {std::string(base_id),
         fmt::format(R"({{"webhook_id":"{}","replaced":"{}","reason":"{}"}})",
                     JsonEscape(created.id), JsonEscape(old_id), JsonEscape(reason))});
  }
  if (stored.ok()) stored = tx.Commit();
  if (!stored.ok()) {
    // A hook nobody has on record would count against the cap for good.
    client.DeleteWebhook(base_id, created.id).IgnoreError();
    return stored;
  }
  WebhookState state{created.id, options.notification_url, created.expiration_time};
  state.recreated = true;
  return state;
}

}  // namespace

Result<std::string> RecordedNotificationUrl(pg::Connection& conn, std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT coalesce(notification_url, '') FROM airpg.sync_bases WHERE base_id = $1",
                {std::string(base_id)}));
  return rows.empty() ? std::string() : std::string(rows.Get(0, 0));
}

Result<WebhookState> EnsureWebhook(airtable::Client& client, pg::Connection& conn,
                                   std::string_view base_id, const WebhookKeeperOptions& options) {
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  AIRPG_RETURN_IF_ERROR(tx.Run("SELECT pg_advisory_xact_lock(hashtext('airpg.webhook:' || $1))",
                               {std::string(base_id)}));
  AIRPG_ASSIGN_OR_RETURN(Stored stored, ReadStored(tx, base_id));
  AIRPG_ASSIGN_OR_RETURN(std::vector<airtable::WebhookInfo> hooks, client.ListWebhooks(base_id));
  const airtable::WebhookInfo* ours = nullptr;
  for (const airtable::WebhookInfo& hook : hooks) {
    if (!stored.webhook_id.empty() && hook.id == stored.webhook_id) ours = &hook;
  }
  TimePoint now = options.now ? options.now() : std::chrono::system_clock::now();
  std::string reason = Unusable(ours, stored, options.notification_url, now);
  if (reason.empty()) {
    AIRPG_ASSIGN_OR_RETURN(std::optional<WebhookState> kept,
                           Keep(client, tx, base_id, *ours, options, now));
    if (kept) {
      AIRPG_RETURN_IF_ERROR(tx.Commit());
      return *std::move(kept);
    }
    reason = "refresh refused";
  }
  return Replace(client, tx, base_id, hooks, ours, reason, options);
}

}  // namespace airpg::sync
