// The built-in filterByFormula subset behind SimpleFilterCompiler
// (record_filter.h): a parse tree, its parser and its evaluator. Internal to
// emulator/; replaced by src/formula later. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "emulator/api_error.h"
#include "emulator/model.h"

namespace airpg::emulator {

// One node of a parsed filter formula.
struct FilterNode {
  enum class Kind { kLiteral, kField, kCall, kBinary, kNegate } kind;
  Json literal;
  const Field* field = nullptr;
  std::string name;  // function name or operator
  std::vector<FilterNode> args;
};

// Parses `formula` against `table` (field names resolve to fields). Errors:
// 422 INVALID_FILTER_BY_FORMULA, naming unknown fields when there are any.
ApiResult<FilterNode> ParseFilter(const Table& table, const std::string& formula);

// The formula's value for `record`; null is blank.
Json EvaluateFilter(const FilterNode& root, const Base& base, const Table& table,
                    const Record& record, int64_t now_millis);

// Airtable's truthiness: 0, false, "", NaN, [] and blank are false.
bool FilterTruthy(const Json& value);

}  // namespace airpg::emulator
