// Record selection for list requests: which records a view shows, narrowed
// by filterByFormula, in the order of `sort` (else the view's sort or manual
// order, else table order) — API.md §2.1 and §8. Sorting is stable; blanks
// come first ascending; text compares case-insensitively.
// Pure over the model; called with the emulator's lock held.
#pragma once

#include <string>
#include <vector>

#include "emulator/model.h"
#include "emulator/record_filter.h"
#include "emulator/wire.h"

namespace airpg::emulator {

struct RecordQuery {
  const View* view = nullptr;
  std::string filter_by_formula;
  std::vector<SortSpec> sort;  // resolved to field ids
};

// The ids of the selected records, in order.
ApiResult<std::vector<std::string>> SelectRecords(const Base& base, const Table& table,
                                                  const RecordQuery& query,
                                                  const FilterCompiler& compiler,
                                                  int64_t now_millis);

}  // namespace airpg::emulator
