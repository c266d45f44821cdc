#include "airtable/view_records.h"

namespace airpg::airtable {

Result<std::vector<ViewRecords>> ReadViewRecords(Client& client, std::string_view base_id,
                                                 const Table& table, Priority priority) {
  std::vector<ViewRecords> out;
  for (const View& view : table.views) {
    ListOptions options;
    options.view = view.id;
    // One field (never none: an empty fields[] is not a documented form);
    // the primary field is the one every table has.
    if (!table.primary_field_id.empty()) options.fields = {table.primary_field_id};
    options.return_fields_by_field_id = true;
    ViewRecords records{view.id, view.name, {}, view.type};
    RecordPager pager = client.ListRecords(base_id, table.id, options, priority);
    Status failed = Status::Ok();
    while (true) {
      Result<std::optional<RecordPage>> page = pager.Next();
      if (!page.ok()) {
        failed = page.status();
        break;
      }
      if (!*page) break;
      for (const Record& r : (*page)->records) records.record_ids.push_back(r.id);
    }
    if (failed.code() == StatusCode::kInvalidArgument) continue;
    AIRPG_RETURN_IF_ERROR(failed);
    out.push_back(std::move(records));
  }
  return out;
}

}  // namespace airpg::airtable
