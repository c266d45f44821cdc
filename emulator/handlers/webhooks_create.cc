// POST /v0/bases/{baseId}/webhooks (API.md §6.1).
#include "emulator/handlers/handlers.h"

namespace airpg::emulator {

HandlerResult CreateWebhook(Call& call, Base& base) {
  return call.service.webhooks.Create(base, call.body, call.now_millis, call.service.ids);
}

}  // namespace airpg::emulator
