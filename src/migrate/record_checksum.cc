#include "migrate/record_checksum.h"

#include <fmt/core.h>

#include "mapping/checksum.h"

namespace airpg::migrate {

using mapping::LinkRole;

Result<std::vector<std::pair<const mapping::FieldPlan*, std::string>>> CanonicalCells(
    const mapping::TablePlan& table, const CellLookup& cell,
    const std::set<std::string, std::less<>>& skip, bool with_links) {
  std::vector<std::pair<const mapping::FieldPlan*, std::string>> out;
  for (const auto& f : table.fields) {
    if (skip.count(f.field.id) > 0) continue;
    if (IsLinkField(f) && !with_links) continue;
    bool unordered = f.link_role == LinkRole::kForeignKeyInverse;
    auto canonical = mapping::CanonicalCell(f.field, f.column, cell(f), unordered);
    if (!canonical.ok()) {
      return Status(canonical.status().code(),
                    fmt::format("field \"{}\": {}", f.field.name, canonical.status().message()));
    }
    out.emplace_back(&f, *std::move(canonical));
  }
  return out;
}

Result<std::string> RecordChecksum(
    const mapping::TablePlan& table,
    const std::function<std::optional<std::string_view>(const mapping::FieldPlan&)>& cell,
    const std::set<std::string, std::less<>>& skip, bool with_links) {
  AIRPG_ASSIGN_OR_RETURN(auto cells, CanonicalCells(table, cell, skip, with_links));
  mapping::RecordChecksum sum;
  for (const auto& [f, canonical] : cells) sum.Add(f->field.id, canonical);
  return sum.Finish();
}

Result<std::string> AirtableRecordChecksum(const mapping::TablePlan& table,
                                           const airtable::Record& record,
                                           const std::set<std::string, std::less<>>& skip,
                                           bool with_links) {
  return RecordChecksum(
      table, [&](const mapping::FieldPlan& f) { return record.Cell(f.field.id); }, skip,
      with_links);
}

}  // namespace airpg::migrate
