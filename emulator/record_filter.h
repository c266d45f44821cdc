// The filter seam: filterByFormula and view filters are compiled once per
// request into a RecordFilter that says whether a record is kept. The
// emulator ships a small built-in subset (simple_filter.cc); a later change
// plugs in src/formula through the same FilterCompiler signature.
// RecordFilter is immutable after compilation and thread-compatible.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "emulator/api_error.h"
#include "emulator/model.h"

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

// The built-in subset: {Field} and bare field names, string/number literals,
// = != < > <= >= & + - * /, parentheses, and AND OR NOT IF TRUE FALSE BLANK
// RECORD_ID LOWER UPPER LEN FIND SEARCH CONCATENATE ARRAYJOIN CREATED_TIME
// LAST_MODIFIED_TIME DATETIME_PARSE IS_AFTER IS_BEFORE NOW TODAY.
FilterCompiler SimpleFilterCompiler();

}  // namespace airpg::emulator
