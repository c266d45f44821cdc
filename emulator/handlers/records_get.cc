// GET /v0/{base}/{table}/{recordId} (API.md §2.3).
#include "emulator/handlers/handlers.h"
#include "emulator/record_renderer.h"
#include "emulator/wire.h"

namespace airpg::emulator {

HandlerResult GetRecord(Call& call, Base& base, Table& table, const std::string& record_id) {
  const Record* record = table.FindRecord(record_id);
  if (record == nullptr) return MissingRecord(call);
  RenderOptions render = BaseRenderOptions(call);
  render.by_field_id = ParseBool(call.Query("returnFieldsByFieldId"));
  std::string cell_format = call.Query("cellFormat");
  if (!cell_format.empty() && cell_format != "json" && cell_format != "string") {
    return InvalidRequest("Invalid cellFormat: " + cell_format);
  }
  if (cell_format == "string") {
    if (call.Query("timeZone").empty() || call.Query("userLocale").empty()) {
      return InvalidRequest(
          "Invalid request: timeZone and userLocale are required when cellFormat is string");
    }
    render.string_format = true;
    render.time_zone = call.Query("timeZone");
    render.user_locale = call.Query("userLocale");
  }
  return RenderRecord(base, table, *record, render);
}

}  // namespace airpg::emulator
