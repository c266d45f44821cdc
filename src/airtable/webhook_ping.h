// WebhookPing: the notification Airtable POSTs to a hook's notificationUrl
// (API.md §6.6), exactly {"base":{"id"},"webhook":{"id"},"timestamp"}. It
// carries no change data: it only says that new payloads may exist, so its
// whole value is which base and hook to look at. Its MAC (webhook_mac.h) is
// over the raw body and is checked by the receiver with the hook's secret.
// Thread-compatible value; the parser is pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace airpg::airtable {

struct WebhookPing {
  std::string base_id;     // app…
  std::string webhook_id;  // ach…
  std::string timestamp;   // when Airtable sent it; "" when absent
};

// kInvalidArgument when `body` is not a JSON object with non-empty string
// ids at base.id and webhook.id. Unknown keys are ignored.
Result<WebhookPing> ParseWebhookPing(std::string_view body);

}  // namespace airpg::airtable
