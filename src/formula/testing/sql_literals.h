// SqlLiterals: finds the string and numeric literals and the $n placeholders
// in generated SQL, and lists the compiler's own constants — the only
// literals compiled SQL may contain. Used by the property test and the
// fuzzer. Pure and thread-safe.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace airpg::formula::testing {

// String ('…', E'…') and numeric literals, in order; identifiers in "…" are
// skipped. Adds every $n placeholder number to `placeholders`.
std::vector<std::string> SqlLiterals(std::string_view sql, std::set<int>& placeholders);

// NaN/Infinity spellings, the number↔text patterns, date formats and units,
// and small integers the compiler writes itself.
const std::set<std::string>& AllowedSqlLiterals();

}  // namespace airpg::formula::testing
