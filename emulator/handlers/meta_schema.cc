// GET /v0/meta/bases/{baseId}/tables[?include=visibleFieldIds] (API.md §5.1–5.2).
#include "emulator/handlers/handlers.h"
#include "emulator/schema_json.h"

namespace airpg::emulator {

HandlerResult GetBaseSchema(Call& call, Base& base) {
  bool visible = false;
  for (const auto& [key, value] : call.query) {
    if ((key == "include" || key == "include[]") && value == "visibleFieldIds") visible = true;
  }
  Json tables = Json::array();
  for (const Table& table : base.tables) tables.push_back(TableToJson(table, visible));
  return Json{{"tables", std::move(tables)}};
}

}  // namespace airpg::emulator
