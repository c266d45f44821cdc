// POST /v0/{base}/{table}: one record ({"fields"}) or a batch ({"records"})
// (API.md §2.4). All records are validated before any is stored.
#include "emulator/handlers/handlers.h"

namespace airpg::emulator {

HandlerResult CreateRecords(Call& call, Base& base, Table& table) {
  const Json& body = call.body;
  bool single = body.is_object() && body.contains("fields") && !body.contains("records");
  Json inputs;
  if (single) {
    inputs = Json::array({body});
  } else if (body.is_object() && body.contains("records") && body["records"].is_array()) {
    inputs = body["records"];
  } else if (body.is_array()) {
    inputs = body;
  } else {
    return Unprocessable("INVALID_REQUEST_MISSING_FIELDS",
                         "Could not find field \"fields\" in the request body");
  }
  if (!single && inputs.empty()) {
    return Unprocessable("INVALID_RECORDS",
                         "You must provide an array of up to 10 record objects, each with a "
                         "\"fields\" object for cell values.");
  }
  EMU_ASSIGN_OR_RETURN(bool size_ok, CheckBatchSize(call, inputs.size(), "created"));
  (void)size_ok;

  CellWriteContext ctx = MakeWriteContext(call, base, table);
  std::vector<std::pair<Record, Json>> pending;
  for (const Json& input : inputs) {
    if (!input.is_object()) return InvalidRequest();
    Record record = NewRecord(call);
    EMU_ASSIGN_OR_RETURN(
        Json cells,
        ComputeCells(ctx, record, input.value("fields", Json::object()), WriteMode::kMerge));
    pending.emplace_back(std::move(record), std::move(cells));
  }
  Json records = Json::array();
  for (auto& [record, cells] : pending) {
    Record& stored = StoreNewRecord(call, base, table, std::move(record), std::move(cells));
    records.push_back(RenderWritten(call, base, table, stored));
  }
  ++base.transaction_number;
  if (single) return records[0];
  return Json{{"records", std::move(records)}};
}

}  // namespace airpg::emulator
