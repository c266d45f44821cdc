// DELETE /v0/bases/{baseId}/webhooks/{webhookId} (API.md §6.3): {} back.
#include "emulator/handlers/handlers.h"

namespace airpg::emulator {

HandlerResult DeleteWebhook(Call& call, Base& base, const std::string& webhook_id) {
  return call.service.webhooks.Delete(base.id, webhook_id);
}

}  // namespace airpg::emulator
