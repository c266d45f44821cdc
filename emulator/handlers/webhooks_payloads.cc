// GET /v0/bases/{baseId}/webhooks/{webhookId}/payloads?cursor=N&limit=M
// (API.md §6.4): payloads from `cursor`, at most 50; extends the expiry.
#include <cstdlib>

#include "emulator/handlers/handlers.h"

namespace airpg::emulator {

HandlerResult ListWebhookPayloads(Call& call, Base& base, const std::string& webhook_id) {
  std::string cursor = call.Query("cursor");
  std::string limit = call.Query("limit");
  return call.service.webhooks.Payloads(
      base.id, webhook_id, cursor.empty() ? 1 : std::atoll(cursor.c_str()),
      limit.empty() ? 50 : std::atoi(limit.c_str()), call.now_millis);
}

}  // namespace airpg::emulator
