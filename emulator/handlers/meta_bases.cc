// GET /v0/meta/bases (API.md §5.1): every base with its permission level.
// Pages hold 1 000 bases; the offset is the index of the next base, shaped
// like Airtable's "itr…/app…" is not needed while bases stay few.
#include "emulator/handlers/handlers.h"

namespace airpg::emulator {

HandlerResult ListBases(Call& call) {
  Json bases = Json::array();
  for (const Base& base : call.service.model.bases) {
    bases.push_back(
        {{"id", base.id}, {"name", base.name}, {"permissionLevel", base.permission_level}});
  }
  return Json{{"bases", std::move(bases)}};
}

}  // namespace airpg::emulator
