#include "daemon/sync_service.h"

#include <fmt/core.h>

#include <algorithm>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "base/backoff.h"
#include "base/log.h"
#include "blobs/attachment_urls.h"
#include "blobs/blob_links.h"
#include "blobs/blob_store.h"
#include "blobs/signing_key.h"
#include "blobs/stored_attachments.h"
#include "daemon/airtable_metrics.h"
#include "daemon/history_retention.h"
#include "daemon/metrics.h"
#include "daemon/ping_store.h"
#include "daemon/repeat_filter.h"
#include "daemon/webhook_receiver.h"
#include "pg/catalog.h"
#include "sync/live_schema.h"
#include "sync/schema_sync.h"
#include "sync/schema_upgrade.h"
#include "sync/sync_lease.h"
#include "sync/webhook_keeper.h"

namespace airpg::daemon {
namespace {

using TimePoint = Clock::time_point;

// How long to wait between attempts to reach Postgres (or, at start,
// Airtable) again: from 100 ms, doubling, never more than 5 s apart, for as
// long as it takes.
BackoffPolicy ReconnectPolicy() {
  BackoffPolicy policy;
  policy.initial = std::chrono::milliseconds(100);
  policy.max_delay = std::chrono::seconds(5);
  policy.max_attempts = std::numeric_limits<int>::max();
  policy.max_total = std::chrono::milliseconds::max();
  return policy;
}

// The outbox dispatcher's loop: a round whenever the last one found work,
// else after outbox_idle; Postgres or Airtable failures back off.
void RunOutbox(airtable::Client& client, const SyncServiceOptions& options,
               const sync::AttachmentDispatchOptions& attachment_options,
               blobs::BlobStore& blob_store, Clock& clock, std::stop_token stop) {
  Backoff backoff(ReconnectPolicy());
  // Stopped writes fail every round the same way until the sync starts
  // again: said once (the dispatcher logged the refusal itself; `airpg
  // status` shows it), not every few seconds for ever.
  RepeatFilter stopped_writes;
  while (!stop.stop_requested()) {
    Result<pg::Connection> conn = pg::Connection::Open(options.conninfo);
    if (!conn.ok()) {
      if (!clock.SleepFor(*backoff.Next(), stop)) return;
      continue;
    }
    sync::OutboxDispatcher dispatcher(client, *conn, options.base_id, options.outbox);
    while (!stop.stop_requested() && conn->IsHealthy()) {
      Result<sync::DispatchReport> round = dispatcher.RunOnce();
      if (!round.ok()) {
        const StatusCode code = round.status().code();
        if (code == StatusCode::kFailedPrecondition) {
          if (stopped_writes.IsNew(round.status().message())) {
            log::Warn("outbox of {}: {}", options.base_id, round.status().ToString());
          }
        } else if (code != StatusCode::kCancelled) {
          log::Warn("outbox of {}: {}", options.base_id, round.status().ToString());
        }
        if (!clock.SleepFor(*backoff.Next(), stop)) return;
        continue;
      }
      // Attachment cells after the rows: a record created in this round has its id now.
      Result<sync::AttachmentDispatchReport> cells =
          sync::DispatchAttachments(client, *conn, blob_store, options.base_id, attachment_options);
      if (!cells.ok()) {
        if (cells.status().code() != StatusCode::kCancelled) {
          log::Warn("outbox of {}: attachments: {}", options.base_id, cells.status().ToString());
        }
        if (!clock.SleepFor(*backoff.Next(), stop)) return;
        continue;
      }
      backoff = Backoff(ReconnectPolicy());
      stopped_writes.Reset();
      if (round->claimed == 0 && cells->claimed == 0 &&
          !clock.SleepFor(options.outbox_idle, stop)) {
        return;
      }
    }
  }
}

// Files added by URL through serve: their bytes into the store, on a thread
// and connection of their own, so a slow or stalled URL never holds up the
// outbox (the cell goes to Airtable as its URL either way;
// blobs/attachment_urls.h). A round whenever the last one downloaded, else
// after outbox_idle.
void RunAttachmentUrls(const SyncServiceOptions& options, blobs::BlobStore& blob_store,
                       Clock& clock, std::stop_token stop) {
  Backoff backoff(ReconnectPolicy());
  while (!stop.stop_requested()) {
    Result<pg::Connection> conn = pg::Connection::Open(options.conninfo);
    if (!conn.ok()) {
      if (!clock.SleepFor(*backoff.Next(), stop)) return;
      continue;
    }
    while (!stop.stop_requested() && conn->IsHealthy()) {
      Result<blobs::UrlFetchReport> urls =
          blobs::FetchAttachmentUrls(*conn, blob_store, options.base_id);
      if (!urls.ok()) {
        log::Warn("outbox of {}: attachment URLs: {}", options.base_id, urls.status().ToString());
        if (!clock.SleepFor(*backoff.Next(), stop)) return;
        continue;
      }
      backoff = Backoff(ReconnectPolicy());
      if (urls->fetched == 0 && !clock.SleepFor(options.outbox_idle, stop)) return;
    }
  }
}

}  // namespace

Status RunSyncService(airtable::Client& client, const SyncServiceOptions& options,
                      std::stop_token stop) {
  Clock& clock = options.clock != nullptr ? *options.clock : SystemClock();
  // Before anything else: a second sync of the base touches nothing.
  std::optional<sync::SyncLease> lease;
  if (!options.stand_by) {
    AIRPG_ASSIGN_OR_RETURN(lease, sync::SyncLease::Acquire(options.conninfo, options.base_id,
                                                           options.lease_wait, stop));
  }
  // Pings wake the loop; the loop never waits longer than the next due step.
  std::mutex mu;
  std::condition_variable_any wake;
  bool pinged = false;
  sync::BaseSyncer* syncing = nullptr;  // guarded by mu: null until this process syncs
  MetricsRegistry metrics;
  const std::string base_label = options.base_id;
  Gauge& pings_waiting = metrics.GetGauge("airpg_sync_pings_waiting",
                                          "Pings received and not yet followed by a payload read",
                                          {{"base", base_label}});
  PingStore pings([conninfo = options.conninfo] { return pg::Connection::Open(conninfo); });
  WebhookReceiver receiver(pings, metrics, [&](const std::string& base_id, auto) {
    if (base_id != options.base_id) return;
    std::lock_guard lock(mu);
    if (syncing == nullptr) return;  // standing by: the lease's holder reads the payloads
    // Ping → commit lag is measured in real time, whatever the clock.
    syncing->NotifyPing(std::chrono::steady_clock::now());
    pings_waiting.Add(1);
    pinged = true;
    wake.notify_one();
  });
  // Attachments over the upload limit are fetched by Airtable from the
  // endpoints (declared first: they outlive the server that serves them).
  // Only URLs signed with the database's key (or the operator's) are
  // served, also those of an earlier process (blobs/signing_key.h).
  AIRPG_ASSIGN_OR_RETURN(auto blob_store,
                         blobs::BlobStore::Open({.directory = options.attachments_dir}));
  std::string signing_key;
  {
    AIRPG_ASSIGN_OR_RETURN(pg::Connection key_conn, pg::Connection::Open(options.conninfo));
    AIRPG_RETURN_IF_ERROR(pg::EnsureCatalog(key_conn));
    AIRPG_ASSIGN_OR_RETURN(signing_key, blobs::BlobSigningKey(key_conn, options.blob_signing_key));
  }
  blobs::BlobLinks blob_links("", std::move(signing_key), clock);
  EndpointsOptions endpoints_options = options.endpoints;
  endpoints_options.blobs = [&blob_links, &blob_store,
                             conninfo = options.conninfo](const http::Request& request) {
    return blob_links.Serve(request, [&](const std::string& sha256) -> Result<std::string> {
      AIRPG_ASSIGN_OR_RETURN(pg::Connection c, pg::Connection::Open(conninfo));
      return blob_store->Read(c, sha256);
    });
  };
  Endpoints endpoints(receiver, metrics, [&pings] { return pings.Check(); });
  // The endpoints listen once the service is ready to sync, or at once while
  // it stands by (so that a stop during the start-up is still a clean one).
  bool listening = false;
  auto listen = [&]() -> Status {
    if (!options.serve_endpoints || listening) return Status::Ok();
    AIRPG_RETURN_IF_ERROR(endpoints.Start(endpoints_options));
    listening = true;
    log::Info("sync endpoints on {}:{} (webhook, /metrics, /healthz)", options.endpoints.host,
              endpoints.port());
    if (options.on_listening) options.on_listening(endpoints.port());
    return Status::Ok();
  };
  // Standing by (serve): the endpoints answer while another process holds
  // the base; its lease is taken here as soon as that process ends.
  for (Backoff backoff(ReconnectPolicy()); !lease;) {
    Result<sync::SyncLease> got =
        sync::SyncLease::Acquire(options.conninfo, options.base_id, options.lease_wait, stop);
    if (got.ok()) {
      lease.emplace(std::move(got).value());
      if (listening) log::Info("sync of {}: took the base's lease", options.base_id);
      break;
    }
    if (got.status().code() == StatusCode::kCancelled) return Status::Ok();
    if (got.status().code() == StatusCode::kFailedPrecondition) {
      if (!listening) {
        log::Info("sync of {}: standing by: {}", options.base_id, got.status().message());
      }
      AIRPG_RETURN_IF_ERROR(listen());
      continue;  // Acquire itself waited lease_wait
    }
    if (!IsTransient(got.status().code())) return got.status();
    if (!clock.SleepFor(*backoff.Next(), stop)) return Status::Ok();
  }
  AIRPG_ASSIGN_OR_RETURN(pg::Connection conn, pg::Connection::Open(options.conninfo));
  AIRPG_RETURN_IF_ERROR(pg::EnsureCatalog(conn));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows schema,
      conn.Exec("SELECT schema_name FROM airpg.bases WHERE base_id = $1", {options.base_id}));
  if (schema.empty()) {
    return FailedPreconditionError(fmt::format(
        "base {} has not been migrated yet: run `airpg migrate` first", options.base_id));
  }
  // A schema an older airpg made takes this build's shapes first (schema_upgrade.h).
  AIRPG_RETURN_IF_ERROR(
      sync::UpgradeLiveSchema(conn, options.base_id, options.schema.lock_timeout).status());
  // The plan the live tables were built by (the catalog's), brought up to
  // date with Airtable's schema before the first step.
  AIRPG_ASSIGN_OR_RETURN(sync::LiveBase live, sync::LoadLiveBase(conn, options.base_id));
  // A daemon may start while Airtable is failing (5xx past the client's
  // retries, a 429 hold): it waits for it, as it waits for Postgres later.
  Status refreshed = sync::RefreshLiveBase(client, conn, live, options.schema).status();
  for (Backoff backoff(ReconnectPolicy()); !refreshed.ok() && IsTransient(refreshed.code());) {
    log::Warn("sync of {}: reading the base's schema: {}; trying again", options.base_id,
              refreshed.ToString());
    if (!clock.SleepFor(*backoff.Next(), stop)) {
      return CancelledError("stopped while waiting for Airtable");
    }
    refreshed = sync::RefreshLiveBase(client, conn, live, options.schema).status();
  }
  AIRPG_RETURN_IF_ERROR(refreshed);
  // The authority matrix, then the triggers that enforce it and fill the outbox.
  AIRPG_ASSIGN_OR_RETURN(auto authority, sync::ResolveAuthority(live, options.authority));
  AIRPG_RETURN_IF_ERROR(sync::StoreAuthority(conn, live, authority));
  AIRPG_RETURN_IF_ERROR(sync::InstallWriteTriggers(conn, live));
  AIRPG_RETURN_IF_ERROR(sync::ResumeWrites(conn, options.base_id));
  bool postgres_writes = false;
  for (const auto& [table_id, t] : authority) postgres_writes |= t.PostgresWrites();
  // Each table's lane, where `airpg status` shows it.
  for (const auto& table : live.plan.tables) {
    auto lane = options.syncer.lanes.find(table.table_id);
    AIRPG_RETURN_IF_ERROR(conn.Run(
        "INSERT INTO airpg.sync_tables (table_id, base_id, lane) VALUES ($1, $2, $3) "
        "ON CONFLICT (table_id) DO UPDATE SET lane = EXCLUDED.lane",
        {table.table_id, options.base_id,
         std::string(sync::LaneName(lane == options.syncer.lanes.end() ? sync::Lane::kNormal
                                                                       : lane->second))}));
  }

  AIRPG_ASSIGN_OR_RETURN(auto attachments,
                         blobs::StoredAttachments::Open(options.conninfo, options.attachments_dir,
                                                        options.max_attachment_bytes));

  sync::SyncerOptions syncer_options = options.syncer;
  syncer_options.webhooks = true;
  // Payloads that add, rename or remove fields: the schema first, then them,
  // then the full reads the changes ask for.
  syncer_options.refresh_schema =
      [&client, &conn, &options](sync::LiveBase& base) -> Result<std::vector<std::string>> {
    AIRPG_ASSIGN_OR_RETURN(sync::SchemaSyncSummary summary,
                           sync::RefreshLiveBase(client, conn, base, options.schema));
    // A table or junction the change made gets its authority row, guard and capture.
    AIRPG_RETURN_IF_ERROR(sync::AdoptNewTables(conn, base, options.authority));
    return summary.reread_table_ids;
  };
  sync::BaseSyncer syncer(client, conn, std::move(live), attachments->source(), syncer_options);

  {
    std::lock_guard lock(mu);
    syncing = &syncer;
  }
  // Before the syncer ends: the endpoints outlive it and may still take pings.
  struct StopPings {
    std::mutex& mu;
    sync::BaseSyncer*& syncing;
    ~StopPings() {
      std::lock_guard lock(mu);
      syncing = nullptr;
    }
  } stop_pings{mu, syncing};
  AIRPG_RETURN_IF_ERROR(listen());

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
  Counter& rate_limited = metrics.GetCounter(
      "airpg_airtable_rate_limited_total",
      "Airtable answers 429, whoever caused them (each holds the base back 30 s)",
      {{"base", base_label}});
  Gauge& queue_depth = metrics.GetGauge(
      "airpg_airtable_queue_depth",
      "Airtable requests waiting for the pacer (airtable.per_base_limit requests/s per base)");
  CountForeignRateLimits(metrics, client, base_label);
  metrics.AddCollector([&client, &queue_depth] {
    queue_depth.Set(static_cast<double>(client.pacer().stats().waiting));
  });
  // Ping → commit, per table whose records the ping's payloads changed.
  auto table_lag = [&](const std::string& table_id) -> Histogram& {
    const mapping::TablePlan* table = syncer.base().plan.FindTable(table_id);
    return metrics.GetHistogram(
        "airpg_sync_lag_seconds", "Ping to commit lag of the changes a ping brought in",
        {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300},
        {{"base", base_label}, {"table", table ? table->table_name : table_id}});
  };
  int64_t rate_limited_seen = client.stats().rate_limited;
  Counter& reconnects = metrics.GetCounter(
      "airpg_postgres_reconnects_total",
      "Times the sync connected to Postgres again after losing it", {{"base", base_label}});

  sync::WebhookKeeperOptions keeper;
  keeper.notification_url = options.notification_url;
  if (options.loopback_pings && options.serve_endpoints) {
    keeper.notification_url = fmt::format("http://127.0.0.1:{}{}", endpoints.port(), kWebhookPath);
  } else if (options.notification_url.empty() && options.keep_recorded_url) {
    AIRPG_ASSIGN_OR_RETURN(keeper.notification_url,
                           sync::RecordedNotificationUrl(conn, options.base_id));
  }
  // Sleeps until `until`, a ping or a stop, whichever comes first (a stop
  // wakes the wait at once). True when woken by a ping.
  auto sleep_until = [&](TimePoint until) {
    std::unique_lock lock(mu);
    clock.WaitUntil(lock, wake, until, stop, [&] { return pinged; });
    return std::exchange(pinged, false);
  };
  // Postgres went away (a restart, a failover, the network): the step that
  // noticed rolled back, and the cursor and watermarks it would have moved
  // are where they were. Wait for Postgres and go on from there.
  auto reconnect = [&] {
    log::Warn("sync of {}: lost the connection to Postgres; reconnecting", options.base_id);
    Backoff backoff(ReconnectPolicy());
    while (!stop.stop_requested()) {
      sleep_until(clock.Now() + *backoff.Next());
      Result<pg::Connection> opened = pg::Connection::Open(options.conninfo);
      if (opened.ok()) {
        conn = std::move(opened).value();  // the syncer holds `conn` by reference
        reconnects.Increment();
        log::Info("sync of {}: connected to Postgres again after {} attempts", options.base_id,
                  backoff.attempts());
        return;
      }
      log::Debug("sync of {}: {}", options.base_id, opened.status().ToString());
    }
  };

  TimePoint next_webhook_check{}, next_prune{};
  // Without a hook no payload is read: a failed check is tried again soon,
  // from the payload interval doubling up to webhook_check.
  Clock::duration webhook_retry = options.syncer.payload_interval;
  // The lease session went away (a Postgres restart, the network): take the
  // base again before the next step, or stop if another sync has it now.
  auto retake_lease = [&]() -> Status {
    lease.reset();  // a session that only failed one statement lets go first
    log::Warn("sync of {}: lost the base's lease session; taking the base again", options.base_id);
    for (Backoff backoff(ReconnectPolicy()); !stop.stop_requested();) {
      Result<sync::SyncLease> again =
          sync::SyncLease::Acquire(options.conninfo, options.base_id, options.lease_wait, stop);
      if (again.ok()) {
        lease.emplace(std::move(again).value());
        return Status::Ok();
      }
      if (again.status().code() == StatusCode::kCancelled) break;
      if (!IsTransient(again.status().code())) return again.status();
      sleep_until(clock.Now() + *backoff.Next());
    }
    return Status::Ok();
  };
  // Postgres → Airtable: claim, send, record, on a connection of its own.
  // Its own stop token: stopped with the service, and by the jthread's
  // destructor when the service returns early.
  std::jthread outbox;
  std::jthread attachment_urls;
  if (postgres_writes) {
    sync::AttachmentDispatchOptions attachment_options = options.outbox_attachments;
    if (!options.outbox.claim.owner.empty()) attachment_options.owner = options.outbox.claim.owner;
    std::string blob_base = options.public_url;
    while (!blob_base.empty() && blob_base.back() == '/') blob_base.pop_back();
    if (blob_base.empty() && options.serve_endpoints) blob_base = "http://" + endpoints.address();
    if (!blob_base.empty()) {
      attachment_options.blob_url = [&blob_links, blob_base](const std::string& sha256) {
        return blob_base + blob_links.Path(sha256);
      };
    }
    outbox = std::jthread(
        [&client, &options, attachment_options, &blob_store, &clock](std::stop_token own) {
          RunOutbox(client, options, attachment_options, *blob_store, clock, own);
        });
    attachment_urls = std::jthread([&options, &blob_store, &clock](std::stop_token own) {
      RunAttachmentUrls(options, *blob_store, clock, own);
    });
  }
  std::stop_callback stop_outbox(stop, [&outbox, &attachment_urls] {
    outbox.request_stop();
    attachment_urls.request_stop();
  });
  while (!stop.stop_requested()) {
    if (!lease || !lease->Held()) {
      AIRPG_RETURN_IF_ERROR(retake_lease());
      continue;
    }
    if (!conn.IsHealthy()) {
      reconnect();
      continue;
    }
    TimePoint now = clock.Now();
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
    if (now >= next_prune) {
      auto pruned = PruneHistory(conn, options.retention);
      if (!pruned.ok()) log::Warn("pruning the sync's history: {}", pruned.status().ToString());
      next_prune = now + std::chrono::hours(1);
    }
    pings_waiting.Set(0);  // the step reads every payload up to now
    sync::StepReport report = syncer.Step(now);
    steps.Increment();
    for (const auto& [table_id, lag_ms] : report.lag_ms) table_lag(table_id).Observe(lag_ms / 1000);
    int64_t rate_limited_now = client.stats().rate_limited;
    rate_limited.Increment(static_cast<double>(rate_limited_now - rate_limited_seen));
    rate_limited_seen = rate_limited_now;
    errors.Increment(report.errors);
    changed.Increment(static_cast<double>(report.changed + report.tombstoned));
    requests.Increment(static_cast<double>(report.requests));
    auto open = conn.Exec(
        "SELECT count(*) FROM airpg.dead_letters WHERE base_id = $1 AND status IN "
        "('retrying', 'dead')",
        {options.base_id});
    if (open.ok()) dead.Set(std::stod(std::string(open->Get(0, 0))));
    if (options.on_step) options.on_step(report);
    if (!conn.IsHealthy()) continue;
    sleep_until(std::min(report.next_due, next_webhook_check));
  }
  log::Info("sync of {} stopped", options.base_id);
  return Status::Ok();
}

}  // namespace airpg::daemon
