#include "airtable/webhook_ping.h"

#include "airtable/dom.h"

namespace airpg::airtable {

Result<WebhookPing> ParseWebhookPing(std::string_view body) {
  Result<dom::element> root = dom::Parse(body, "webhook ping");
  if (!root.ok()) return InvalidArgumentError("webhook ping: not JSON");
  if (!root->is_object()) return InvalidArgumentError("webhook ping: not a JSON object");
  WebhookPing ping;
  dom::element base, webhook;
  if ((*root)["base"].get(base) == simdjson::SUCCESS) ping.base_id = dom::String(base, "id");
  if ((*root)["webhook"].get(webhook) == simdjson::SUCCESS) {
    ping.webhook_id = dom::String(webhook, "id");
  }
  if (ping.base_id.empty()) return InvalidArgumentError("webhook ping: no base.id");
  if (ping.webhook_id.empty()) return InvalidArgumentError("webhook ping: no webhook.id");
  ping.timestamp = dom::String(*root, "timestamp");
  return ping;
}

}  // namespace airpg::airtable
