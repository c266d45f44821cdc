// libFuzzer target for the record-page parser (ParseRecordPage). Checks,
// beyond "no crash, no sanitizer report": every record taken has an id and an
// ISO-8601 createdTime, every record set aside keeps its text and a reason,
// and a record taken renders (RecordJson) to JSON that parses back to the
// same id and cells. Build with clang: `make fuzz` (docs/formula.md, "Fuzzing").
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "airtable/record.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto page = airpg::airtable::ParseRecordPage(body);
  if (!page.ok()) return 0;
  for (const auto& m : page->malformed) Check(!m.raw_json.empty() && !m.reason.empty());
  for (const auto& record : page->records) {
    Check(!record.id.empty() && airpg::airtable::IsIsoInstant(record.created_time));
    std::string json = airpg::airtable::RecordJson(record);
    auto again = airpg::airtable::ParseRecord(json);
    Check(again.ok());
    Check(again->id == record.id && again->field_count() == record.field_count());
    for (size_t i = 0; i < record.field_count(); ++i) {
      Check(again->FieldKey(i) == record.FieldKey(i) && again->FieldJson(i) == record.FieldJson(i));
    }
  }
  return 0;
}
