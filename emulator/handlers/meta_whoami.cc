// GET /v0/meta/whoami (API.md §5.1): the token's user id (no email or
// scopes: a personal access token without user.email:read).
#include "emulator/handlers/handlers.h"

namespace airpg::emulator {

HandlerResult Whoami(Call& call) { return Json{{"id", call.service.model.user.id}}; }

}  // namespace airpg::emulator
