// GET /v0/{base}/{table} and POST /v0/{base}/{table}/listRecords (API.md §2.1–2.2).
#include "emulator/handlers/handlers.h"
#include "emulator/record_query.h"
#include "emulator/record_renderer.h"
#include "emulator/wire.h"

namespace airpg::emulator {

HandlerResult ListRecords(Call& call, Base& base, Table& table, bool from_body) {
  ListParams params;
  if (from_body) {
    EMU_ASSIGN_OR_RETURN(
        params, ParseListBody(call.body.is_null() ? Json::object() : call.body, call.query));
  } else {
    EMU_ASSIGN_OR_RETURN(params, ParseListQuery(call.query));
  }

  RenderOptions render = BaseRenderOptions(call);
  render.by_field_id = params.return_fields_by_field_id;
  render.string_format = params.cell_format == "string";
  render.comment_count = params.comment_count;
  render.time_zone = params.time_zone;
  render.user_locale = params.user_locale;
  for (const std::string& name : params.fields) {
    const Field* field = table.FindField(name);
    if (field == nullptr) return UnknownFieldName(name);
    render.only_field_ids.push_back(field->id);
  }

  OffsetStore& offsets = call.service.offsets;
  std::vector<std::string> fresh;
  const std::vector<std::string>* snapshot = nullptr;
  size_t start = 0;
  std::string iterator_id;
  if (!params.offset.empty()) {
    EMU_ASSIGN_OR_RETURN(OffsetStore::Position position,
                         offsets.Resolve(table.id, params.offset, call.now_millis));
    snapshot = position.record_ids;
    start = position.next;
    iterator_id = position.iterator_id;
  } else {
    RecordQuery query;
    if (!params.view.empty()) {
      query.view = table.FindView(params.view);
      if (query.view == nullptr) return ViewNameNotFound(params.view);
    }
    query.filter_by_formula = params.filter_by_formula;
    for (const ListParams::Sort& sort : params.sort) {
      const Field* field = table.FindField(sort.field);
      if (field == nullptr) return UnknownFieldName(sort.field);
      query.sort.push_back({field->id, sort.descending});
    }
    EMU_ASSIGN_OR_RETURN(
        fresh, SelectRecords(base, table, query, call.service.filter_compiler, call.now_millis));
    if (params.max_records && *params.max_records >= 0 &&
        fresh.size() > static_cast<size_t>(*params.max_records)) {
      fresh.resize(static_cast<size_t>(*params.max_records));
    }
    snapshot = &fresh;
  }

  size_t page_size = params.page_size ? static_cast<size_t>(std::max(*params.page_size, 0)) : 100;
  // The page is written as text so cached record renderings can be reused.
  std::string body = "{\"records\":[";
  size_t count = 0;
  size_t i = start;
  std::string last_id;
  uint64_t generation = call.service.model.generation;
  for (; i < snapshot->size() && count < page_size; ++i) {
    const Record* record = table.FindRecord((*snapshot)[i]);
    last_id = (*snapshot)[i];
    if (record == nullptr) continue;  // deleted since the first page
    if (count++ > 0) body += ',';
    body += RenderRecordText(base, table, *record, render, generation);
  }
  body += ']';
  if (i < snapshot->size() && !last_id.empty()) {
    if (iterator_id.empty()) {
      iterator_id =
          offsets.Create(table.id, std::move(fresh), call.now_millis, call.service.ids.Next("itr"));
    }
    body += ",\"offset\":" + Json(iterator_id + "/" + last_id).dump();
  }
  body += '}';
  call.raw_body = std::move(body);
  return Json();
}

}  // namespace airpg::emulator
