// DELETE /v0/{base}/{table}/{recordId} and DELETE /v0/{base}/{table}?records[]=…
// (API.md §2.7). Deleting a record removes it from every link cell.
#include "emulator/handlers/handlers.h"

namespace airpg::emulator {

HandlerResult DeleteRecord(Call& call, Base& base, Table& table, const std::string& record_id) {
  if (table.FindRecord(record_id) == nullptr) return MissingRecord(call);
  StoreDeletedRecord(call, base, table, record_id);
  ++base.transaction_number;
  return Json{{"deleted", true}, {"id", record_id}};
}

HandlerResult DeleteRecords(Call& call, Base& base, Table& table) {
  std::vector<std::string> ids;
  for (const auto& [key, value] : call.query) {
    if (key == "records[]" || key == "records" || key.rfind("records[", 0) == 0) {
      ids.push_back(value);
    }
  }
  if (ids.empty()) return InvalidRequest();
  EMU_ASSIGN_OR_RETURN(bool size_ok, CheckBatchSize(call, ids.size(), "deleted"));
  (void)size_ok;
  for (const std::string& id : ids) {
    if (table.FindRecord(id) == nullptr) {
      return ApiError{404, "NOT_FOUND", "Could not find a record with ID \"" + id + "\"."};
    }
  }
  Json records = Json::array();
  for (const std::string& id : ids) {
    StoreDeletedRecord(call, base, table, id);
    records.push_back({{"deleted", true}, {"id", id}});
  }
  ++base.transaction_number;
  return Json{{"records", std::move(records)}};
}

}  // namespace airpg::emulator
