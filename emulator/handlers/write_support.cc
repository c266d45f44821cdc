// Helpers shared by the record write handlers; see handlers.h.
#include <algorithm>

#include "emulator/handlers/handlers.h"
#include "emulator/recompute.h"
#include "emulator/record_renderer.h"
#include "emulator/wire.h"
#include "http/client.h"

namespace airpg::emulator {

RenderOptions BaseRenderOptions(const Call& call) {
  RenderOptions options;
  const Service& service = call.service;
  int64_t now = call.now_millis;
  options.attachment_url = [&service, now](const Json& attachment) {
    return service.attachment_signer.Url(service.url, StringAt(attachment, "id"),
                                         StringAt(attachment, "filename"), now);
  };
  return options;
}

CellWriteContext MakeWriteContext(Call& call, Base& base, Table& table) {
  CellWriteContext ctx{base, table, call.service.ids, call.Flag("typecast")};
  ctx.can_create_choices = base.permission_level == "create" || call.changes.source == "client";
  const std::string& fetch = call.service.options.fetch_attachment_urls;
  const std::string& own_url = call.service.url;
  ctx.fetch_url =
      [fetch,
       own_url](const std::string& url) -> std::optional<std::pair<std::string, std::string>> {
    // The emulator's own URLs are not fetched: the request holds the state
    // their answer needs.
    if (fetch == "none" || (!own_url.empty() && url.rfind(own_url, 0) == 0)) return std::nullopt;
    if (fetch != "all") {
      std::string_view rest(url);
      rest.remove_prefix(std::min(rest.size(), rest.find("://") + 3));
      bool loopback = rest.rfind("127.0.0.1", 0) == 0 || rest.rfind("localhost", 0) == 0 ||
                      rest.rfind("[::1]", 0) == 0;
      if (!loopback) return std::nullopt;
    }
    // Airtable copies the file; one that cannot be fetched gets placeholder bytes
    // (upstream it "vanishes or gets a dead URL", API.md §2.9).
    http::Client client;
    Result<http::Response> got = client.Send("GET", url);
    if (!got.ok() || got->status != 200) return std::nullopt;
    return std::make_pair(std::move(got->body), got->content_type);
  };
  return ctx;
}

ApiError MissingRecord(const Call& call) {
  if (call.service.options.missing_record_is_404) {
    return {404, "MODEL_ID_NOT_FOUND", "Record not found"};
  }
  return ModelNotFound();
}

ApiResult<bool> CheckBatchSize(const Call& call, size_t count, const char* verb) {
  size_t limit = static_cast<size_t>(call.service.options.max_records_per_request);
  if (count > limit) {
    return Unprocessable("INVALID_RECORDS",
                         "A maximum of " + std::to_string(limit) + " records can be " + verb +
                             " per request but you have provided " + std::to_string(count) + ".");
  }
  return true;
}

Json RenderWritten(const Call& call, const Base& base, const Table& table, const Record& record) {
  RenderOptions options = BaseRenderOptions(call);
  options.by_field_id = call.Flag("returnFieldsByFieldId");
  return RenderRecord(base, table, record, options);
}

Record NewRecord(Call& call) {
  Record record;
  record.id = call.service.ids.Next("rec");
  // createdTime is whole seconds on the wire (API.md §1.3).
  record.created_millis = call.now_millis / 1000 * 1000;
  record.modified_millis = call.now_millis;
  return record;
}

namespace {

// Sets createdBy (new records) and lastModifiedBy cells to the acting user.
void StampUser(const Call& call, const Table& table, Json& cells, bool created) {
  const Collaborator& user = call.service.model.user;
  Json who = {{"id", user.id}, {"email", user.email}};
  if (!user.name.empty()) who["name"] = user.name;
  for (const Field& f : table.fields) {
    if (f.kind() == airtable::FieldType::kLastModifiedBy ||
        (created && f.kind() == airtable::FieldType::kCreatedBy)) {
      cells[f.id] = who;
    }
  }
}

}  // namespace

Record& StoreNewRecord(Call& call, Base& base, Table& table, Record record, Json cells) {
  StampUser(call, table, cells, true);
  bool numbered = false;
  for (const Field& f : table.fields) {
    if (f.kind() != airtable::FieldType::kAutoNumber) continue;
    cells[f.id] = table.next_auto_number;
    numbered = true;
  }
  if (numbered) ++table.next_auto_number;
  Record& stored = table.AddRecord(std::move(record));
  ApplyCells(base, table, stored, std::move(cells), call.now_millis);
  // Only the written record is reported, as for link inverses (docs/emulator.md).
  RecordRef written{table.id, stored.id};
  Recompute(base, {written}, call.now_millis, &written);
  call.changes.records.push_back({RecordChange::Kind::kCreated, table.id, stored.id,
                                  stored.created_millis, Json(), stored.cells});
  return stored;
}

void StoreChangedRecord(Call& call, Base& base, Table& table, Record& record, Json cells) {
  Json previous = record.cells;
  StampUser(call, table, cells, false);
  // Records that lose a link to this one recompute too.
  RecordRef written{table.id, record.id};
  std::vector<RecordRef> seeds = LinkedRecords(base, table, previous);
  seeds.insert(seeds.begin(), written);
  ApplyCells(base, table, record, std::move(cells), call.now_millis);
  Recompute(base, seeds, call.now_millis, &written);
  call.changes.records.push_back({RecordChange::Kind::kChanged, table.id, record.id,
                                  record.created_millis, std::move(previous), record.cells});
}

void StoreDeletedRecord(Call& call, Base& base, Table& table, const std::string& record_id) {
  const Record* record = table.FindRecord(record_id);
  if (record == nullptr) return;
  std::vector<RecordRef> linked = LinkedRecords(base, table, record->cells);
  table.RemoveRecord(record_id);
  UnlinkEverywhere(base, table.id, record_id);
  call.changes.records.push_back(
      {RecordChange::Kind::kDestroyed, table.id, record_id, 0, Json(), Json()});
  Recompute(base, linked, call.now_millis);
}

}  // namespace airpg::emulator
