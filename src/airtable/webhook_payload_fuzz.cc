// libFuzzer target for the webhook payload page parser (ParsePayloadPage),
// which reads what Airtable — or anyone who can answer in its place — sends.
// Checks, beyond "no crash, no sanitizer report": payloads are numbered from
// the request cursor without gaps; a page rebuilt from the payloads' own
// texts reads back to the same payloads (readable or not, the same cells),
// so the text kept for a dead letter is the payload that was read.
// Build with clang: `make fuzz` (docs/architecture.md, "Inbound sync").
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "airtable/webhook.h"

namespace {

using airpg::airtable::Payload;

void Check(bool ok) {
  if (!ok) std::abort();
}

void Same(const Payload& a, const Payload& b) {
  Check(a.unreadable.empty() == b.unreadable.empty());
  Check(a.json == b.json);
  if (!a.unreadable.empty()) return;
  Check(a.tables.size() == b.tables.size());
  for (size_t t = 0; t < a.tables.size(); ++t) {
    const auto& x = a.tables[t];
    const auto& y = b.tables[t];
    Check(x.table_id == y.table_id && x.created_table == y.created_table);
    Check(x.changed_records.size() == y.changed_records.size());
    Check(x.created_records.size() == y.created_records.size());
    for (size_t r = 0; r < x.changed_records.size(); ++r) {
      Check(x.changed_records[r].current == y.changed_records[r].current);
    }
    for (size_t r = 0; r < x.created_records.size(); ++r) {
      Check(x.created_records[r].current == y.created_records[r].current);
    }
    Check(x.destroyed_record_ids == y.destroyed_record_ids);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto page = airpg::airtable::ParsePayloadPage(body, 5);
  if (!page.ok()) return 0;
  std::string rebuilt = "{\"payloads\":[";
  for (size_t i = 0; i < page->payloads.size(); ++i) {
    Check(page->payloads[i].number == 5 + static_cast<int64_t>(i));
    if (i > 0) rebuilt += ",";
    rebuilt += page->payloads[i].json;
  }
  rebuilt += "]}";
  auto again = airpg::airtable::ParsePayloadPage(rebuilt, 5);
  Check(again.ok());
  Check(again->payloads.size() == page->payloads.size());
  for (size_t i = 0; i < page->payloads.size(); ++i) Same(page->payloads[i], again->payloads[i]);
  return 0;
}
