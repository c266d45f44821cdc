// GET /v0/bases/{baseId}/webhooks (API.md §6.2).
#include "emulator/handlers/handlers.h"

namespace airpg::emulator {

HandlerResult ListWebhooks(Call& call, Base& base) {
  return call.service.webhooks.List(base.id, call.now_millis);
}

}  // namespace airpg::emulator
