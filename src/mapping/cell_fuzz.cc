// libFuzzer target for the cell decoder: ParseCellJson and every converter
// a type rule names, through CellToPg, PgToCell and the checksum form.
// Checks, beyond "no crash, no sanitizer report": a cell a number, text,
// integer, boolean, date or jsonb column accepts comes back (PgToCell of the
// converter's own text) as a cell with the same checksum form, and a parsed
// cell written out parses to the same canonical JSON.
// Build with clang: `make fuzz` (docs/type-mapping.md, "Fuzzing").
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mapping/cell_json.h"
#include "mapping/cell_value.h"
#include "mapping/checksum.h"
#include "mapping/type_rules.h"

namespace {

using airpg::mapping::CellKind;

struct Case {
  airpg::airtable::Field field;
  airpg::mapping::ColumnPlan plan;
};

airpg::airtable::Field MakeField(std::string type, std::string options) {
  airpg::airtable::Field f;
  f.id = "fldFuzz";
  f.name = "Fuzz";
  f.type = airpg::airtable::ParseFieldType(type);
  f.type_name = std::move(type);
  f.options_json = std::move(options);
  return f;
}

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = [] {
    std::vector<Case> out;
    for (auto [type, options] : std::vector<std::pair<std::string, std::string>>{
             {"singleLineText", ""},
             {"number", R"({"precision":0})"},
             {"percent", R"({"precision":2})"},
             {"rating", R"({"max":5})"},
             {"count", ""},
             {"duration", R"({"durationFormat":"h:mm"})"},
             {"checkbox", ""},
             {"date", ""},
             {"dateTime", R"({"timeZone":"utc"})"},
             {"multipleSelects", R"({"choices":[]})"},
             {"barcode", ""},
             {"hologram", ""},
             {"formula", R"({"isValid":true,"result":{"type":"number"}})"},
             {"formula",
              R"({"isValid":true,"result":{"type":"date","options":{"timeZone":"Asia/Tokyo"}}})"},
             {"multipleLookupValues", R"({"isValid":true,"result":{"type":"number"}})"},
             {"multipleLookupValues", R"({"isValid":true,"result":{"type":"singleCollaborator"}})"},
         }) {
      airpg::airtable::Field field = MakeField(type, options);
      auto plan = airpg::mapping::PlanField(field);
      if (plan.ok()) out.push_back({field, *plan});
    }
    return out;
  }();
  return cases;
}

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

bool RoundTrips(CellKind kind) {
  return kind == CellKind::kNumber || kind == CellKind::kText || kind == CellKind::kInteger ||
         kind == CellKind::kBoolean || kind == CellKind::kJson || kind == CellKind::kDate;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = airpg::mapping::ParseCellJson(input);
  if (parsed.ok()) {
    std::string canonical = airpg::mapping::CanonicalJson(*parsed);
    auto again = airpg::mapping::ParseCellJson(canonical);
    Check(again.ok() && airpg::mapping::CanonicalJson(*again) == canonical);
  }
  for (const Case& c : Cases()) {
    auto value = airpg::mapping::CellToPg(c.field, c.plan, input);
    auto canonical = airpg::mapping::CanonicalCell(c.field, c.plan, input);
    Check(value.ok() == canonical.ok());
    if (!value.ok() || !RoundTrips(c.plan.cell->kind) || c.plan.read_only) continue;
    auto back = airpg::mapping::PgToCell(c.field, c.plan, *value);
    Check(back.ok());
    auto again = airpg::mapping::CanonicalCell(c.field, c.plan, *back);
    Check(again.ok() && *again == *canonical);
  }
  return 0;
}
