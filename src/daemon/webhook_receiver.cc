#include "daemon/webhook_receiver.h"

#include <algorithm>

#include <fmt/core.h>

#include "airtable/webhook_mac.h"
#include "airtable/webhook_ping.h"
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

}  // namespace

WebhookReceiver::WebhookReceiver(PingStore& store, MetricsRegistry& metrics, OnPing on_ping,
                                 Now now)
    : store_(store), metrics_(metrics), on_ping_(std::move(on_ping)), now_(std::move(now)) {}

http::Response WebhookReceiver::Handle(const http::Request& request) {
  InboxEntry entry;
  entry.received_at = now_ ? now_() : std::chrono::system_clock::now();
  entry.body = request.body;
  std::string path_base_id = PathBaseId(request.target);

  Result<airtable::WebhookPing> ping = airtable::ParseWebhookPing(request.body);
  if (!ping.ok()) {
    log::Warn("webhook ping from {}: malformed ({})", request.remote_addr, ping.status().message());
    return Finish(entry, PingOutcome::kMalformed);
  }
  entry.base_id = ping->base_id;
  entry.webhook_id = ping->webhook_id;
  if (!path_base_id.empty() && path_base_id != ping->base_id) {
    log::Warn("webhook ping from {}: for base {} but sent to the path of base {}",
              request.remote_addr, ping->base_id, path_base_id);
    return Finish(entry, PingOutcome::kMalformed);
  }

  Result<std::optional<std::string>> secret = store_.SecretFor(ping->base_id, ping->webhook_id);
  if (!secret.ok()) {
    // Without the secret nothing can be accepted; Airtable will try again.
    log::Error("webhook ping for base {}: cannot read its secret: {}", ping->base_id,
               secret.status().message());
    metrics_
        .GetCounter("airpg_webhook_pings_total", "Webhook pings received, by outcome.",
                    {{"outcome", "unavailable"}})
        .Increment();
    return http::Response{503, "application/json", {}, R"({"error":"unavailable"})"};
  }
  if (!secret->has_value()) {
    log::Warn("webhook ping from {}: hook {} is not the one airpg syncs base {} from",
              request.remote_addr, ping->webhook_id, ping->base_id);
    return Finish(entry, PingOutcome::kUnknownWebhook);
  }
  if (!airtable::VerifyContentMac(**secret, request.body, request.Header(kMacHeader))) {
    log::Warn("webhook ping from {}: bad MAC for hook {} of base {}", request.remote_addr,
              ping->webhook_id, ping->base_id);
    return Finish(entry, PingOutcome::kBadMac);
  }
  http::Response response = Finish(entry, PingOutcome::kAccepted);
  if (on_ping_) on_ping_(entry.base_id, entry.received_at);
  return response;
}

http::Response WebhookReceiver::Finish(InboxEntry entry, PingOutcome outcome) {
  entry.outcome = outcome;
  Status recorded = store_.Record(entry);
  // The answer stands without the row: a ping holds no data, and refusing an
  // accepted one would only make Airtable send it again.
  if (!recorded.ok()) log::Error("webhook ping: inbox not written: {}", recorded.message());
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
