// GET /v0/meta/bases[?offset=…] (API.md §5.1): the bases with the user's
// permission level, 1 000 per page; the offset is shaped like Airtable's
// "itr…/app…" (a fixed iterator prefix and the last base returned).
#include "emulator/handlers/handlers.h"

namespace airpg::emulator {
namespace {
constexpr size_t kBasesPerPage = 1000;
constexpr char kIteratorPrefix[] = "itrEmulatorBases0";  // "itr" + 14 characters
}  // namespace

HandlerResult ListBases(Call& call) {
  const std::vector<Base>& all = call.service.model.bases;
  size_t start = 0;
  std::string offset = call.Query("offset");
  if (!offset.empty()) {
    std::string prefix = std::string(kIteratorPrefix) + "/";
    bool found = false;
    if (offset.rfind(prefix, 0) == 0) {
      std::string after = offset.substr(prefix.size());
      for (size_t i = 0; i < all.size(); ++i) {
        if (all[i].id == after) {
          start = i + 1;
          found = true;
        }
      }
    }
    if (!found) {
      return Unprocessable("INVALID_OFFSET_VALUE", "The value of offset " + offset + " is invalid");
    }
  }
  Json bases = Json::array();
  size_t i = start;
  for (; i < all.size() && bases.size() < kBasesPerPage; ++i) {
    bases.push_back(
        {{"id", all[i].id}, {"name", all[i].name}, {"permissionLevel", all[i].permission_level}});
  }
  Json out = {{"bases", std::move(bases)}};
  if (i < all.size()) out["offset"] = std::string(kIteratorPrefix) + "/" + all[i - 1].id;
  return out;
}

}  // namespace airpg::emulator
