#include "daemon/webhook_receiver.h"

#include <algorithm>

#include <fmt/core.h>

#include "airtable/webhook_mac.h"
#include "airtable/webhook_ping.h"
#include "base/json_escape.h"
#include "base/log.h"

namespace airpg::daemon {
namespace {

constexpr std::string_view kMacHeader = "x-airtable-content-mac";

// The <base_id> of kWebhookPath/<base_id>, "" for the bare path. The query,
// if any, is ignored.
std::string PathBaseId(std::string_view target) {
  target = target.substr(0, target.find('?'));
  target.remove_prefix(std::min(target.size(), kWebhookPath.size()));
  while (!target.empty() && target.front() == '/') target.remove_prefix(1);
  while (!target.empty() && target.back() == '/') target.remove_suffix(1);
  return std::string(target);
}

// Text from a ping (its body, its path), which anyone may have written, as
// it goes into a log line: valid UTF-8, cut to 64 bytes, control characters
// and quotes escaped, so it can neither forge a line nor flood the log.
std::string Quoted(std::string_view text) { return "\"" + JsonEscape(InboxBody(text, 64)) + "\""; }

}  // namespace

WebhookReceiver::WebhookReceiver(PingStore& store, MetricsRegistry& metrics, OnPing on_ping,
                                 Now now, WebhookReceiverLimits limits)
    : store_(store),
      metrics_(metrics),
      on_ping_(std::move(on_ping)),
      now_(std::move(now)),
      limits_(limits),
      budget_(limits.unverified_burst) {}

bool WebhookReceiver::TakeUnverified(std::chrono::system_clock::time_point now) {
  std::lock_guard lock(budget_mu_);
  if (refilled_ == std::chrono::system_clock::time_point()) refilled_ = now;
  double elapsed = std::chrono::duration<double>(now - refilled_).count();
  if (elapsed > 0) {
    budget_ = std::min(limits_.unverified_burst, budget_ + elapsed * limits_.unverified_per_second);
    refilled_ = now;
  }
  if (budget_ >= 1) {
    budget_ -= 1;
    over_budget_ = false;
    return true;
  }
  if (!over_budget_) {
    over_budget_ = true;
    log::Warn(
        "webhook: unverified pings arrive faster than {}/s; until they slow down they are only "
        "counted (airpg_webhook_pings_unrecorded_total), not stored or logged",
        limits_.unverified_per_second);
  }
  return false;
}

http::Response WebhookReceiver::Handle(const http::Request& request) {
  InboxEntry entry;
  entry.received_at = now_ ? now_() : std::chrono::system_clock::now();
  entry.body = request.body;
  std::string path_base_id = PathBaseId(request.target);

  Result<airtable::WebhookPing> ping = airtable::ParseWebhookPing(request.body);
  if (!ping.ok()) {
    return Finish(entry, PingOutcome::kMalformed,
                  fmt::format("webhook ping from {}: malformed ({})", request.remote_addr,
                              Quoted(ping.status().message())));
  }
  entry.base_id = ping->base_id;
  entry.webhook_id = ping->webhook_id;
  if (!path_base_id.empty() && path_base_id != ping->base_id) {
    return Finish(entry, PingOutcome::kMalformed,
                  fmt::format("webhook ping from {}: for base {} but sent to the path of base {}",
                              request.remote_addr, Quoted(ping->base_id), Quoted(path_base_id)));
  }

  // A hook not in the cache costs a query: forged pings naming ever new
  // bases and hooks share the unverified budget, so they cannot turn into a
  // flood of queries. Over it: 503, and Airtable (for a real one) retries.
  if (!store_.Cached(ping->base_id, ping->webhook_id) && !TakeUnverified(entry.received_at)) {
    metrics_
        .GetCounter("airpg_webhook_pings_total", "Webhook pings received, by outcome.",
                    {{"outcome", "unavailable"}})
        .Increment();
    metrics_
        .GetCounter("airpg_webhook_pings_unrecorded_total",
                    "Unverified webhook pings past the budget: counted, not stored or logged.")
        .Increment();
    return http::Response{503, "application/json", {}, R"({"error":"busy"})"};
  }
  Result<std::optional<std::string>> secret = store_.SecretFor(ping->base_id, ping->webhook_id);
  if (!secret.ok()) {
    // Without the secret nothing can be accepted; Airtable will try again.
    if (TakeUnverified(entry.received_at)) {
      log::Error("webhook ping for base {}: cannot read its secret: {}", Quoted(ping->base_id),
                 secret.status().message());
    }
    metrics_
        .GetCounter("airpg_webhook_pings_total", "Webhook pings received, by outcome.",
                    {{"outcome", "unavailable"}})
        .Increment();
    return http::Response{503, "application/json", {}, R"({"error":"unavailable"})"};
  }
  if (!secret->has_value()) {
    return Finish(
        entry, PingOutcome::kUnknownWebhook,
        fmt::format("webhook ping from {}: hook {} is not the one airpg syncs base {} from",
                    request.remote_addr, Quoted(ping->webhook_id), Quoted(ping->base_id)));
  }
  if (!airtable::VerifyContentMac(**secret, request.body, request.Header(kMacHeader))) {
    return Finish(
        entry, PingOutcome::kBadMac,
        fmt::format("webhook ping from {}: bad MAC for hook {} of base {}", request.remote_addr,
                    Quoted(ping->webhook_id), Quoted(ping->base_id)));
  }
  http::Response response = Finish(entry, PingOutcome::kAccepted);
  if (on_ping_) on_ping_(entry.base_id, entry.received_at);
  return response;
}

http::Response WebhookReceiver::Finish(InboxEntry entry, PingOutcome outcome,
                                       const std::string& warning) {
  entry.outcome = outcome;
  if (outcome == PingOutcome::kAccepted || TakeUnverified(entry.received_at)) {
    if (!warning.empty()) log::Warn("{}", warning);
    Status recorded = store_.Record(entry);
    // The answer stands without the row: a ping holds no data, and refusing
    // an accepted one would only make Airtable send it again.
    if (!recorded.ok()) log::Error("webhook ping: inbox not written: {}", recorded.message());
  } else {
    metrics_
        .GetCounter("airpg_webhook_pings_unrecorded_total",
                    "Unverified webhook pings past the budget: counted, not stored or logged.")
        .Increment();
  }
  metrics_
      .GetCounter("airpg_webhook_pings_total", "Webhook pings received, by outcome.",
                  {{"outcome", std::string(PingOutcomeName(outcome))}})
      .Increment();
  http::Response response;
  switch (outcome) {
    case PingOutcome::kAccepted:
      return response;  // 200 with the empty body Airtable expects
    case PingOutcome::kBadMac:
      response.status = 401;
      break;
    case PingOutcome::kUnknownWebhook:
      response.status = 404;
      break;
    case PingOutcome::kMalformed:
      response.status = 400;
      break;
  }
  response.body = fmt::format(R"({{"error":"{}"}})", PingOutcomeName(outcome));
  return response;
}

}  // namespace airpg::daemon
