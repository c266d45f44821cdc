// The filter seam: filterByFormula and view filters are compiled once per
// request into a RecordFilter that says whether a record is kept
// (formula_filter.h evaluates them with src/formula).
// RecordFilter is immutable after compilation and thread-compatible.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "emulator/model.h"
#include "emulator/wire.h"

namespace airpg::emulator {

class RecordFilter {
 public:
  virtual ~RecordFilter() = default;
  // Whether the formula's result for `record` is truthy (API.md §7).
  virtual bool Matches(const Base& base, const Table& table, const Record& record,
                       int64_t now_millis) const = 0;
};

// Compiles `formula` in the context of `table`. An invalid formula or an
// unknown field is a 422 INVALID_FILTER_BY_FORMULA.
using FilterCompiler = std::function<ApiResult<std::unique_ptr<RecordFilter>>(
    const Base& base, const Table& table, const std::string& formula)>;

}  // namespace airpg::emulator
