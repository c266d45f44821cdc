// PATCH/PUT /v0/{base}/{table}/{recordId} and the batch form PATCH/PUT
// /v0/{base}/{table} with optional performUpsert (API.md §2.5–2.6). PATCH
// merges, PUT clears every writable field not sent. A batch is validated in
// full before anything is stored.
#include "emulator/handlers/handlers.h"
#include "emulator/record_renderer.h"
#include "emulator/wire.h"

namespace airpg::emulator {
namespace {

ApiError InvalidRecords() {
  return Unprocessable("INVALID_RECORDS",
                       "You must provide an array of up to 10 record objects, each with an \"id\" "
                       "ID field and a \"fields\" object for cell values.");
}

// One input of a batch, resolved to its target.
struct Planned {
  Record* existing = nullptr;  // update this record (valid until the store phase)...
  std::string existing_id;
  int pending_new = -1;  // ...or the new record at this index of `creates`
  Json fields;
};

// The merge-field values an input record carries, normalised like a write.
ApiResult<std::vector<Json>> MergeKey(const CellWriteContext& ctx,
                                      const std::vector<Field*>& merge_fields, const Json& fields) {
  std::vector<Json> key;
  for (Field* field : merge_fields) {
    Json sent;
    if (fields.contains(field->name)) sent = fields[field->name];
    if (fields.contains(field->id)) sent = fields[field->id];
    EMU_ASSIGN_OR_RETURN(Json value, NormalizeCell(ctx, *field, sent));
    key.push_back(std::move(value));
  }
  return key;
}

}  // namespace

HandlerResult UpdateRecord(Call& call, Base& base, Table& table, const std::string& record_id,
                           WriteMode mode) {
  Record* record = table.FindRecord(record_id);
  if (record == nullptr) return MissingRecord(call);
  if (!call.body.is_object() || !call.body.contains("fields")) {
    return Unprocessable("INVALID_REQUEST_MISSING_FIELDS",
                         "Could not find field \"fields\" in the request body");
  }
  CellWriteContext ctx = MakeWriteContext(call, base, table);
  EMU_ASSIGN_OR_RETURN(Json cells, ComputeCells(ctx, *record, call.body["fields"], mode));
  StoreChangedRecord(call, base, table, *record, std::move(cells));
  ++base.transaction_number;
  return RenderWritten(call, base, table, *record);
}

HandlerResult UpdateRecords(Call& call, Base& base, Table& table, WriteMode mode) {
  const Json& body = call.body;
  if (!body.is_object() || !body.contains("records") || !body["records"].is_array() ||
      body["records"].empty()) {
    return InvalidRecords();
  }
  const Json& inputs = body["records"];
  EMU_ASSIGN_OR_RETURN(bool size_ok, CheckBatchSize(call, inputs.size(), "updated"));
  (void)size_ok;
  CellWriteContext ctx = MakeWriteContext(call, base, table);

  bool upsert = body.contains("performUpsert") && body["performUpsert"].is_object();
  std::vector<Field*> merge_fields;
  if (upsert) {
    const Json& names = body["performUpsert"].value("fieldsToMergeOn", Json());
    if (!names.is_array() || names.empty() || names.size() > 3) return InvalidRequest();
    for (const Json& name : names) {
      Field* field = name.is_string() ? table.FindField(name.get<std::string>()) : nullptr;
      if (field == nullptr)
        return UnknownFieldName(name.is_string() ? name.get<std::string>() : name.dump());
      if (airtable::IsComputed(field->kind())) return InvalidRequest();
      merge_fields.push_back(field);
    }
  }

  // Plan: decide for each input which record it writes.
  std::vector<Planned> plan;
  std::vector<std::vector<Json>> new_keys;
  for (const Json& input : inputs) {
    if (!input.is_object() || !input.contains("fields") || !input["fields"].is_object()) {
      return InvalidRecords();
    }
    Planned p;
    p.fields = input["fields"];
    if (input.contains("id")) {
      std::string id = StringAt(input, "id");
      p.existing = table.FindRecord(id);
      p.existing_id = id;
      if (p.existing == nullptr) {
        return Unprocessable("ROW_DOES_NOT_EXIST",
                             "Record ID " + id + " does not exist in this table");
      }
    } else if (!upsert) {
      return InvalidRecords();
    } else {
      EMU_ASSIGN_OR_RETURN(std::vector<Json> key, MergeKey(ctx, merge_fields, p.fields));
      std::vector<Record*> matches;
      for (Record& r : table.records) {
        bool same = true;
        for (size_t k = 0; k < merge_fields.size() && same; ++k) {
          same = CellValue(base, table, *merge_fields[k], r) == key[k];
        }
        if (same) matches.push_back(&r);
      }
      if (matches.size() > 1) {
        return Unprocessable("INVALID_RECORDS",
                             "Cannot update more than one record with the same fieldsToMergeOn "
                             "values; " +
                                 std::to_string(matches.size()) + " records match.");
      }
      if (matches.size() == 1) {
        p.existing = matches[0];
        p.existing_id = matches[0]->id;
      } else {
        for (size_t n = 0; n < new_keys.size(); ++n) {
          if (new_keys[n] == key) p.pending_new = static_cast<int>(n);
        }
        if (p.pending_new < 0) {
          p.pending_new = static_cast<int>(new_keys.size());
          new_keys.push_back(std::move(key));
        }
      }
    }
    plan.push_back(std::move(p));
  }

  // Validate: compute every result before storing any.
  std::vector<Record> creates;
  for (size_t n = 0; n < new_keys.size(); ++n) creates.push_back(NewRecord(call));
  std::vector<Json> create_cells(creates.size());
  std::vector<std::pair<std::string, Json>> updates;
  for (const Planned& p : plan) {
    if (p.existing != nullptr) {
      EMU_ASSIGN_OR_RETURN(Json cells, ComputeCells(ctx, *p.existing, p.fields, mode));
      updates.emplace_back(p.existing_id, std::move(cells));
    } else {
      Record draft = creates[static_cast<size_t>(p.pending_new)];
      if (!create_cells[static_cast<size_t>(p.pending_new)].is_null()) {
        draft.cells = create_cells[static_cast<size_t>(p.pending_new)];
      }
      EMU_ASSIGN_OR_RETURN(Json cells, ComputeCells(ctx, draft, p.fields, WriteMode::kMerge));
      create_cells[static_cast<size_t>(p.pending_new)] = std::move(cells);
    }
  }

  // Store.
  std::vector<std::string> created_ids;
  for (size_t n = 0; n < creates.size(); ++n) {
    Record& stored =
        StoreNewRecord(call, base, table, std::move(creates[n]), std::move(create_cells[n]));
    created_ids.push_back(stored.id);
  }
  for (auto& [record_id, cells] : updates) {
    // AddRecord may have moved records: find the target again by id.
    Record* target = table.FindRecord(record_id);
    StoreChangedRecord(call, base, table, *target, std::move(cells));
  }
  ++base.transaction_number;

  Json records = Json::array();
  std::vector<std::string> updated_ids;
  for (const Planned& p : plan) {
    bool updated = !p.existing_id.empty();
    std::string id = updated ? p.existing_id : created_ids[static_cast<size_t>(p.pending_new)];
    if (updated) updated_ids.push_back(id);
    records.push_back(RenderWritten(call, base, table, *table.FindRecord(id)));
  }
  Json out = {{"records", std::move(records)}};
  if (upsert) {
    out["createdRecords"] = created_ids;
    out["updatedRecords"] = updated_ids;
  }
  return out;
}

}  // namespace airpg::emulator
