// EnsureWebhook: keeps exactly one Airtable webhook per mirrored base alive
// for the sync. The hook is where the sync reads its payloads (by cursor) and
// what pings the webhook receiver; airpg.sync_bases records its id, secret,
// URL, expiry and the cursor. A hook is "ours" only when its id is the one on
// record there; every other hook of the base is left alone.
//
// Cheap enough to call every few minutes, and that is how it is meant to be
// used (there is no separate refresh call): when the hook is fine it costs one
// SELECT and one list request (incremental priority on the base's pacer).
// The daemon calls it when a base starts syncing and then periodically (every
// 15 minutes is plenty: a hook lives 7 days, is refreshed once it has less
// than `refresh_within` left, and every payload read extends it too).
//
// Thread-safety: a free function. Concurrent calls for the same base, also
// from several processes, are serialised by a transaction-scoped advisory
// lock, so they never create two hooks. Borrows a thread-safe Client and a
// Connection that the calling thread owns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "airtable/client.h"
#include "base/result.h"
#include "pg/connection.h"

namespace airpg::sync {

// What airpg asks Airtable for: every change to records, fields and table
// metadata, without cell values (the sync re-reads changed records itself).
inline constexpr std::string_view kWebhookSpecification =
    R"({"options":{"filters":{"dataTypes":["tableData","tableFields","tableMetadata"]}}})";

struct WebhookKeeperOptions {
  // Where Airtable POSTs pings (the receiver's public URL); "" for none:
  // the sync then finds payloads by polling alone.
  std::string notification_url;
  // A hook with less than this left before it expires is refreshed.
  std::chrono::hours refresh_within{48};
  // The time as Airtable sees it; tests pass the emulator's clock. Empty:
  // the system clock.
  std::function<std::chrono::system_clock::time_point()> now;
};

struct WebhookState {
  std::string webhook_id;
  std::string notification_url;  // "" when the hook sends no pings
  std::string expiration_time;   // as Airtable wrote it (ISO 8601, UTC)
  int64_t cursor = 1;            // the next payload to apply (airpg.sync_bases.cursor)
  // A new hook replaced a missing, disabled, expired or re-pointed one: the
  // payloads in between are lost, so the caller runs a safety poll and a
  // delete sweep of the base right away.
  bool recreated = false;
  bool refreshed = false;              // this call pushed the expiry back
  bool notifications_enabled = false;  // this call switched pings back on
};

// The notification URL airpg.sync_bases has on record for the base's hook
// ("" when none): a restart that is not told where Airtable pings keeps the
// hook pointed where it was, so the hook and its cursor stay (a new URL can
// only be had with a new hook, which loses the payloads in between).
Result<std::string> RecordedNotificationUrl(pg::Connection& conn, std::string_view base_id);

// Makes sure `base_id` has a live hook of ours pointing at
// `options.notification_url` and returns it:
//  - ours is there, enabled, unexpired and points at that URL: kept; its
//    pings are switched back on when Airtable turned them off, and it is
//    refreshed when it expires within `refresh_within`;
//  - otherwise ours (if listed) is deleted and a new one is created with
//    kWebhookSpecification; its id, secret, URL and expiry are stored in
//    airpg.sync_bases with cursor 1, together with a sync_events row of
//    kind 'webhook_recreated' (detail: webhook_id, replaced, reason), in one
//    transaction, and `recreated` is set.
// kFailedPrecondition when the base is not in airpg.bases (migrate it first)
// or when it already has Airtable's cap of 10 hooks, none of them ours.
// Airtable and Postgres errors come back as they are (see docs/errors.md);
// calling again later is always safe.
// REQUIRES: no transaction is open on `conn`.
Result<WebhookState> EnsureWebhook(airtable::Client& client, pg::Connection& conn,
                                   std::string_view base_id, const WebhookKeeperOptions& options);

}  // namespace airpg::sync
