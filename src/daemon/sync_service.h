// SyncService: `airpg sync` for one base, wired — the webhook kept with
// sync::EnsureWebhook (at start and every webhook_check), the endpoints
// (ping receiver, /metrics, /healthz) on loopback unless configured, the
// base's sync::BaseSyncer stepped whenever work is due or a ping wakes it,
// attachments stored through the blobs library's fetcher and store, and
// per-step metrics. The base's lease is taken first: a second sync of the base
// ends with kFailedPrecondition naming the holder (or, with stand_by, serves
// its endpoints and waits for the lease), and so does this one if,
// after a Postgres restart, another sync took the base over. Run returns as
// soon as `stop` is stopped: its waits (between steps, for Postgres, for
// Airtable, for the lease) end at once; a step in progress first commits or
// rolls back (a stop never leaves half a batch).
// Run is single-thread; the receiver's pings arrive on server threads.
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>

#include "airtable/client.h"
#include "base/clock.h"
#include "base/status.h"
#include "blobs/attachment_fetcher.h"
#include "daemon/endpoints.h"
#include "daemon/history_retention.h"
#include "sync/authority.h"
#include "sync/base_syncer.h"
#include "sync/outbox_attachments.h"
#include "sync/outbox_dispatcher.h"
#include "sync/schema_sync.h"

namespace airpg::daemon {

struct SyncServiceOptions {
  std::string base_id;
  std::string conninfo;
  // One sync per base (sync/sync_lease.h): how long a start waits for the
  // base's lease before it reports the holder (a killed holder's session
  // ends within moments, so a restart right after a SIGKILL still starts).
  std::chrono::milliseconds lease_wait{5000};
  // `airpg serve`: while another process holds the base's lease, serve the
  // endpoints (the API with them) and stand by, taking the lease — and the
  // sync — when that process ends, instead of failing.
  bool stand_by = false;
  // Where Airtable can reach the receiver (public URL + /airtable/webhook);
  // "" means no pings: payloads are read every syncer.payload_interval.
  std::string notification_url;
  // Use the endpoints' own loopback address as the notification URL (an
  // Airtable on this machine: the emulator, the demo, tests). The endpoints'
  // port is then part of the hook: restart on the same port to keep the hook
  // and its payloads (`airpg sync` listens on a stable default port).
  bool loopback_pings = false;
  // Neither of the above given: keep the URL the base's hook has on record
  // (sync::RecordedNotificationUrl), so a restart without them keeps the hook.
  bool keep_recorded_url = false;
  bool serve_endpoints = true;
  EndpointsOptions endpoints;
  std::string attachments_dir;                                       // "" = bytes in Postgres
  int64_t max_attachment_bytes = blobs::kDefaultMaxAttachmentBytes;  // larger: dead-lettered
  sync::SyncerOptions syncer;  // its lanes are written to airpg.sync_tables at start
  sync::SchemaSyncOptions schema;
  std::chrono::minutes webhook_check{15};
  HistoryRetention retention;  // pruned at start and every hour
  // Two-way sync: the authority matrix (stored and enforced by triggers at
  // start) and the outbox dispatcher, run on a thread of its own with its
  // own connection while any table lets Postgres write.
  sync::AuthorityConfig authority;
  sync::DispatchOptions outbox;
  std::chrono::milliseconds outbox_idle{100};  // wait when the outbox had nothing due
  // Attachments added or removed in Postgres (sync/outbox_attachments.h),
  // sent on the outbox's thread. Its blob_url is set here: files over
  // upload_max_bytes are offered to Airtable as signed /blobs/ URLs on the
  // endpoints, at public_url.
  sync::AttachmentDispatchOptions outbox_attachments;
  // Where Airtable reaches the endpoints (scheme://host[:port], no path), for
  // those URLs; "": the endpoints' own address (loopback by default, so only
  // an Airtable on this machine, such as the emulator, can fetch them).
  std::string public_url;
  // The key those URLs are signed with (AIRPG_BLOB_SIGNING_KEY); "": the
  // catalog's, drawn once (blobs/signing_key.h). A secret: never logged.
  std::string blob_signing_key;
  // After each step (progress output, tests).
  std::function<void(const sync::StepReport&)> on_step;
  // Once the endpoints listen (tests learn the port).
  std::function<void(int port)> on_listening;
  // What the service reads the time from and waits on (null: the system's);
  // a test's ManualClock shows that only a ping or the stop ends a wait.
  Clock* clock = nullptr;
};

Status RunSyncService(airtable::Client& client, const SyncServiceOptions& options,
                      std::stop_token stop);

}  // namespace airpg::daemon
