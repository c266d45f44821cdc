// ComputedRollup: a rollup's aggregation as SQL over its linked rows. The
// aggregation is a formula over `values` (Airtable's rollup function, e.g.
// "SUM(values)", "ARRAYJOIN(values, '; ')"); the ones with an exact SQL
// aggregate compile, with the evaluator's answers for no linked records.
// Pure.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "mapping/computed_link.h"

namespace airpg::mapping {

// `formula_text` over `value` (the linked row's value, SQL of its column
// type) as one aggregate expression over the rows of `rows` (the caller
// puts it in their SELECT). kUnimplemented names what does not compile.
Result<std::string> RollupSql(std::string_view formula_text, const std::string& value,
                              const LinkedRows& rows);

}  // namespace airpg::mapping
