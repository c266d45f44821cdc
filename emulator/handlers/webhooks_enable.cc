// POST /v0/bases/{baseId}/webhooks/{webhookId}/enableNotifications
// {"enable":bool} (API.md §6.3): toggles pings; payloads keep accumulating.
#include "emulator/handlers/handlers.h"

namespace airpg::emulator {

HandlerResult EnableWebhookNotifications(Call& call, Base& base, const std::string& webhook_id) {
  return call.service.webhooks.EnableNotifications(base.id, webhook_id, call.body);
}

}  // namespace airpg::emulator
