// WebhookReceiver: answers Airtable's notification pings (API.md §6.6),
// POST /airtable/webhook (or /airtable/webhook/<base_id>). It finds the
// secret of the base's hook (PingStore), checks the MAC over the raw body,
// writes one airpg.inbox row per ping and, for an accepted one, pokes the
// sync through `on_ping`. Nothing is applied here: a ping carries no data,
// and the sync pulls payloads by the cursor it stores, so a duplicated, late,
// replayed or reordered ping costs at most one extra (empty) payload read.
// Answers: 200 accepted (anything else makes Airtable retry and, after about
// a day of failures, switch pings off), 401 bad MAC, 404 unknown hook,
// 400 malformed, 503 when Postgres cannot say which secret to check with.
// Pings that are not accepted (forged, malformed, for another hook) are
// stored and logged at warn at most `unverified_per_second` (burst
// `unverified_burst`); past that they are only counted
// (airpg_webhook_pings_unrecorded_total), so a flood costs neither the inbox
// nor the log. Ids from a ping's body are logged JSON-escaped and cut to 64
// bytes; the secret never. Looking up a hook that is not cached takes from
// the same budget (past it: 503), so forged pings cannot flood Postgres
// with queries either.
// Thread-safe: Handle runs on the HTTP server's pool threads; `on_ping` is
// called on them too and must be thread-safe and quick (it should only wake
// the base's sync).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "daemon/metrics.h"
#include "daemon/ping_store.h"
#include "http/message.h"

namespace airpg::daemon {

// The path Airtable is given as notificationUrl (plus an optional /<base_id>).
inline constexpr std::string_view kWebhookPath = "/airtable/webhook";

struct WebhookReceiverLimits {
  double unverified_per_second = 2;
  double unverified_burst = 20;
};

class WebhookReceiver {
 public:
  using OnPing = std::function<void(const std::string& base_id,
                                    std::chrono::system_clock::time_point received_at)>;
  using Now = std::function<std::chrono::system_clock::time_point()>;

  // Borrows `store` and `metrics`, which must outlive the receiver. Counts
  // pings in airpg_webhook_pings_total{outcome} (the inbox outcomes, and
  // "unavailable" for the 503s). `now` stamps received_at (empty: the
  // system clock; it also refills the budget of unverified pings).
  WebhookReceiver(PingStore& store, MetricsRegistry& metrics, OnPing on_ping, Now now = nullptr,
                  WebhookReceiverLimits limits = {});

  // Handles one request whose path is kWebhookPath or kWebhookPath/<base_id>.
  // REQUIRES: the method is POST (the router answers 405 otherwise).
  http::Response Handle(const http::Request& request);

 private:
  // Writes the inbox row and logs `warning` (when the budget allows an
  // unaccepted ping), counts the outcome and builds the answer.
  http::Response Finish(InboxEntry entry, PingOutcome outcome, const std::string& warning = "");

  // Takes one unverified ping's share of the budget; false when spent.
  bool TakeUnverified(std::chrono::system_clock::time_point now);

  PingStore& store_;
  MetricsRegistry& metrics_;
  const OnPing on_ping_;
  const Now now_;
  const WebhookReceiverLimits limits_;
  std::mutex budget_mu_;
  double budget_;                                   // guarded by budget_mu_
  std::chrono::system_clock::time_point refilled_;  // guarded by budget_mu_
  bool over_budget_ = false;                        // guarded by budget_mu_
};

}  // namespace airpg::daemon
