#include "emulator/record_query.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "emulator/record_renderer.h"

namespace airpg::emulator {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Negative, zero or positive as a sorts before, with or after b (ascending).
int CompareCells(const Base& base, const Field& field, const Json& a, const Json& b) {
  if (a.is_null() || b.is_null()) return a.is_null() == b.is_null() ? 0 : (a.is_null() ? -1 : 1);
  airtable::FieldType kind = field.kind();
  bool chronological =
      kind == airtable::FieldType::kDate || kind == airtable::FieldType::kDateTime ||
      kind == airtable::FieldType::kCreatedTime || kind == airtable::FieldType::kLastModifiedTime;
  if (chronological && a.is_string() && b.is_string()) {
    return a.get<std::string>().compare(b.get<std::string>());  // ISO text sorts by time
  }
  if (a.is_number() && b.is_number()) {
    double x = a.get<double>(), y = b.get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  std::string x = Lower(CellText(base, field, a)), y = Lower(CellText(base, field, b));
  return x.compare(y);
}

}  // namespace

ApiResult<std::vector<std::string>> SelectRecords(const Base& base, const Table& table,
                                                  const RecordQuery& query,
                                                  const FilterCompiler& compiler,
                                                  int64_t now_millis) {
  std::vector<const Record*> rows;
  rows.reserve(table.records.size());
  if (query.view != nullptr && !query.view->manual_order.empty()) {
    for (const std::string& id : query.view->manual_order) {
      if (const Record* r = table.FindRecord(id)) rows.push_back(r);
    }
    for (const Record& r : table.records) {
      if (std::find(query.view->manual_order.begin(), query.view->manual_order.end(), r.id) ==
          query.view->manual_order.end()) {
        rows.push_back(&r);
      }
    }
  } else {
    for (const Record& r : table.records) rows.push_back(&r);
  }

  std::vector<std::string> formulas;
  if (query.view != nullptr && !query.view->filter_formula.empty()) {
    formulas.push_back(query.view->filter_formula);
  }
  if (!query.filter_by_formula.empty()) formulas.push_back(query.filter_by_formula);
  for (const std::string& formula : formulas) {
    EMU_ASSIGN_OR_RETURN(std::unique_ptr<RecordFilter> filter, compiler(base, table, formula));
    std::erase_if(rows,
                  [&](const Record* r) { return !filter->Matches(base, table, *r, now_millis); });
  }

  const std::vector<SortSpec>& sort =
      !query.sort.empty() ? query.sort : (query.view != nullptr ? query.view->sort : query.sort);
  if (!sort.empty()) {
    std::vector<std::pair<const Field*, bool>> keys;
    for (const SortSpec& spec : sort) {
      if (const Field* f = table.FindField(spec.field_id)) keys.emplace_back(f, spec.descending);
    }
    std::stable_sort(rows.begin(), rows.end(), [&](const Record* a, const Record* b) {
      for (const auto& [field, descending] : keys) {
        int c = CompareCells(base, *field, CellValue(base, table, *field, *a),
                             CellValue(base, table, *field, *b));
        if (c != 0) return descending ? c > 0 : c < 0;
      }
      return false;
    });
  }
  std::vector<std::string> ids;
  ids.reserve(rows.size());
  for (const Record* r : rows) ids.push_back(r->id);
  return ids;
}

}  // namespace airpg::emulator
