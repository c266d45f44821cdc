#include "daemon/sync_service.h"

#include <fmt/core.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "base/log.h"
#include "daemon/metrics.h"
#include "daemon/ping_store.h"
#include "daemon/webhook_receiver.h"
#include "migrate/attachment_fetcher.h"
#include "pg/catalog.h"
#include "sync/live_schema.h"
#include "sync/schema_sync.h"
#include "sync/webhook_keeper.h"

namespace airpg::daemon {
namespace {

using sync::Clock;

// Stores attachments the way a migration does (same fetcher, same store).
sync::AttachmentSource Attachments(migrate::AttachmentFetcher& fetcher,
                                   const std::string& conninfo) {
  return [&fetcher, conninfo](const std::vector<sync::AttachmentRequest>& requests) {
    std::vector<migrate::AttachmentToFetch> wanted;
    for (const auto& r : requests) {
      wanted.push_back({r.id, r.url, r.filename, r.size, r.type, r.width, r.height});
    }
    std::vector<Result<sync::StoredAttachmentRow>> out;
    for (auto& stored : fetcher.FetchAll(conninfo, wanted, 4)) {
      if (!stored.ok()) {
        out.push_back(stored.status());
        continue;
      }
      out.push_back(sync::StoredAttachmentRow{stored->attachment_id, stored->filename,
                                              stored->content_type, stored->size, stored->sha256,
                                              stored->width, stored->height});
    }
    return out;
  };
}

}  // namespace

Status RunSyncService(airtable::Client& client, const SyncServiceOptions& options,
                      const std::atomic<bool>& stop) {
  AIRPG_ASSIGN_OR_RETURN(pg::Connection conn, pg::Connection::Open(options.conninfo));
  AIRPG_RETURN_IF_ERROR(pg::EnsureCatalog(conn));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows schema,
      conn.Exec("SELECT schema_name FROM airpg.bases WHERE base_id = $1", {options.base_id}));
  if (schema.empty()) {
    return FailedPreconditionError(fmt::format(
        "base {} has not been migrated yet: run `airpg migrate` first", options.base_id));
  }
  // The plan the live tables were built by (the catalog's), brought up to
  // date with Airtable's schema before the first step.
  AIRPG_ASSIGN_OR_RETURN(sync::LiveBase live, sync::LoadLiveBase(conn, options.base_id));
  AIRPG_RETURN_IF_ERROR(sync::RefreshLiveBase(client, conn, live).status());

  migrate::BlobStoreOptions store_options;
  store_options.directory = options.attachments_dir;
  AIRPG_ASSIGN_OR_RETURN(auto blob_store, migrate::BlobStore::Open(store_options));
  migrate::AttachmentFetcher fetcher(client, *blob_store);

  sync::SyncerOptions syncer_options = options.syncer;
  syncer_options.webhooks = true;
  // Payloads that add, rename or remove fields: the schema first, then them.
  // TODO(issue 7): the full re-read a retyped field asks for
  // (summary.reread_table_ids) is not scheduled yet; until it is, a retyped
  // column fills as its records change.
  syncer_options.refresh_schema = [&client, &conn](sync::LiveBase& base) {
    return sync::RefreshLiveBase(client, conn, base).status();
  };
  sync::BaseSyncer syncer(client, conn, std::move(live), Attachments(fetcher, options.conninfo),
                          syncer_options);

  // Pings wake the loop; the loop never waits longer than the next due step.
  std::mutex mu;
  std::condition_variable wake;
  bool pinged = false;
  MetricsRegistry metrics;
  PingStore pings([conninfo = options.conninfo] { return pg::Connection::Open(conninfo); });
  WebhookReceiver receiver(pings, metrics, [&](const std::string& base_id, auto) {
    if (base_id != options.base_id) return;
    syncer.NotifyPing(Clock::now());
    std::lock_guard lock(mu);
    pinged = true;
    wake.notify_one();
  });
  Endpoints endpoints(receiver, metrics, [&pings] { return pings.Check(); });
  if (options.serve_endpoints) {
    AIRPG_RETURN_IF_ERROR(endpoints.Start(options.endpoints));
    log::Info("sync endpoints on {}:{} (webhook, /metrics, /healthz)", options.endpoints.host,
              endpoints.port());
    if (options.on_listening) options.on_listening(endpoints.port());
  }

  const std::string base_label = options.base_id;
  Counter& steps =
      metrics.GetCounter("airpg_sync_steps_total", "Sync steps run", {{"base", base_label}});
  Counter& errors = metrics.GetCounter("airpg_sync_errors_total", "Sync steps that failed",
                                       {{"base", base_label}});
  Counter& changed =
      metrics.GetCounter("airpg_sync_rows_changed_total", "Rows inserted or changed by the sync",
                         {{"base", base_label}});
  Counter& requests =
      metrics.GetCounter("airpg_airtable_requests_total", "Airtable requests made by the sync",
                         {{"base", base_label}});
  Gauge& dead = metrics.GetGauge("airpg_dead_letters", "Open dead letters", {{"base", base_label}});

  sync::WebhookKeeperOptions keeper;
  keeper.notification_url = options.notification_url;
  if (options.loopback_pings && options.serve_endpoints) {
    keeper.notification_url = fmt::format("http://127.0.0.1:{}{}", endpoints.port(), kWebhookPath);
  }
  Clock::time_point next_webhook_check{};
  // Without a hook no payload is read: a failed check is tried again soon,
  // from the payload interval doubling up to webhook_check.
  Clock::duration webhook_retry = options.syncer.payload_interval;
  while (!stop.load()) {
    Clock::time_point now = Clock::now();
    if (now >= next_webhook_check) {
      auto hook = sync::EnsureWebhook(client, conn, options.base_id, keeper);
      next_webhook_check = now + options.webhook_check;
      if (!hook.ok()) {
        log::Warn("webhook of {}: {}", options.base_id, hook.status().ToString());
        errors.Increment();
        next_webhook_check = now + webhook_retry;
        webhook_retry = std::min<Clock::duration>(2 * webhook_retry, options.webhook_check);
      } else {
        webhook_retry = options.syncer.payload_interval;
        if (hook->recreated) {
          log::Info("webhook of {} created ({})", options.base_id, hook->webhook_id);
          syncer.CatchUpNow();  // what changed before the new hook is in no payload
        }
      }
    }
    sync::StepReport report = syncer.Step(now);
    steps.Increment();
    errors.Increment(report.errors);
    changed.Increment(static_cast<double>(report.changed + report.tombstoned));
    requests.Increment(static_cast<double>(report.requests));
    auto open = conn.Exec(
        "SELECT count(*) FROM airpg.dead_letters WHERE base_id = $1 AND status IN "
        "('retrying', 'dead')",
        {options.base_id});
    if (open.ok()) dead.Set(std::stod(std::string(open->Get(0, 0))));
    if (options.on_step) options.on_step(report);
    // Sleep until the next step is due, a ping arrives or a stop is asked
    // (checked every 200 ms: signal handlers cannot notify a condition variable).
    std::unique_lock lock(mu);
    auto until = std::min(report.next_due, next_webhook_check);
    while (!pinged && !stop.load() && Clock::now() < until) {
      wake.wait_until(lock, std::min(until, Clock::now() + std::chrono::milliseconds(200)));
    }
    pinged = false;
  }
  log::Info("sync of {} stopped", options.base_id);
  return Status::Ok();
}

}  // namespace airpg::daemon
