// The webhook endpoints of Client (API.md §6). They count against the base's
// rate limit like every other call.
#include <fmt/core.h>

#include "airtable/client.h"
#include "airtable/dom.h"
#include "base/json_escape.h"

namespace airpg::airtable {
namespace {

std::string HooksPath(std::string_view base_id) {
  return fmt::format("/v0/bases/{}/webhooks", http::PercentEncode(base_id));
}

std::string HookPath(std::string_view base_id, std::string_view webhook_id) {
  return HooksPath(base_id) + "/" + http::PercentEncode(webhook_id);
}

}  // namespace

Result<CreatedWebhook> Client::CreateWebhook(std::string_view base_id,
                                             std::string_view notification_url,
                                             std::string_view specification_json) {
  if (!dom::Parse(specification_json, "webhook specification").ok()) {
    return InvalidArgumentError("webhook specification is not JSON");
  }
  std::string body = "{";
  if (!notification_url.empty()) {
    body += "\"notificationUrl\":\"" + JsonEscape(notification_url) + "\",";
  }
  body += "\"specification\":" + std::string(specification_json) + "}";
  // Creating twice would make two hooks: only retried when Airtable did nothing.
  AIRPG_ASSIGN_OR_RETURN(std::string response, Call(base_id, Priority::kWrite, Retry::kIfNotApplied,
                                                    "POST", HooksPath(base_id), body));
  return ParseCreatedWebhook(response);
}

Result<std::vector<WebhookInfo>> Client::ListWebhooks(std::string_view base_id) {
  return Read<std::vector<WebhookInfo>>(base_id, Priority::kIncremental, "GET", HooksPath(base_id),
                                        "", ParseWebhookList);
}

Result<std::string> Client::RefreshWebhook(std::string_view base_id, std::string_view webhook_id) {
  AIRPG_ASSIGN_OR_RETURN(std::string response,
                         Call(base_id, Priority::kWrite, Retry::kAlways, "POST",
                              HookPath(base_id, webhook_id) + "/refresh", "{}"));
  AIRPG_ASSIGN_OR_RETURN(dom::element root, dom::Parse(response, "webhook refresh"));
  std::string expiration = dom::String(root, "expirationTime");
  if (expiration.empty()) return dom::Malformed("webhook refresh", "no expirationTime");
  return expiration;
}

Status Client::EnableNotifications(std::string_view base_id, std::string_view webhook_id,
                                   bool enable) {
  return Call(base_id, Priority::kWrite, Retry::kAlways, "POST",
              HookPath(base_id, webhook_id) + "/enableNotifications",
              fmt::format("{{\"enable\":{}}}", enable))
      .status();
}

Status Client::DeleteWebhook(std::string_view base_id, std::string_view webhook_id) {
  return Call(base_id, Priority::kWrite, Retry::kAlways, "DELETE", HookPath(base_id, webhook_id))
      .status();
}

Result<PayloadPage> Client::ListPayloads(std::string_view base_id, std::string_view webhook_id,
                                         int64_t cursor, int limit) {
  std::string path = fmt::format("{}/payloads?cursor={}&limit={}", HookPath(base_id, webhook_id),
                                 cursor, std::clamp(limit, 1, 50));
  return Read<PayloadPage>(
      base_id, Priority::kIncremental, "GET", path, "",
      [cursor](std::string_view body) { return ParsePayloadPage(body, cursor); });
}

}  // namespace airpg::airtable
