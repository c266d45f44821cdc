// Postgres array text forms: the literal bound as a parameter and the text
// Postgres prints. In base, beside the identifier quoting, because both the
// Postgres layer (pg/) and the pure row → cell rules (mapping/row_cells.h)
// read and write them. Pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace airpg {

// A one-dimensional array literal, every element quoted: {"a","b\"c",NULL}.
// Bind it as a text parameter and cast it (`$1::text[]`).
std::string ArrayLiteral(const std::vector<std::optional<std::string>>& elements);

// Parses a one-dimensional array as Postgres prints it in text form.
Result<std::vector<std::optional<std::string>>> ParseArray(std::string_view text);

}  // namespace airpg
