// POST /v0/bases/{baseId}/webhooks/{webhookId}/refresh (API.md §6.3).
#include "emulator/handlers/handlers.h"

namespace airpg::emulator {

HandlerResult RefreshWebhook(Call& call, Base& base, const std::string& webhook_id) {
  return call.service.webhooks.Refresh(base.id, webhook_id, call.now_millis);
}

}  // namespace airpg::emulator
