// The one quoting helper for generated SQL: identifiers are always quoted
// here, values always travel as parameters (text form). Also the text forms of
// arrays and COPY fields. Pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/sql_identifier.h"

namespace airpg::pg {

// Identifiers: the base helpers, under the names pg/ code has always used.
using ::airpg::QualifiedName;
using ::airpg::QuoteIdentifier;

// A one-dimensional array literal, every element quoted: {"a","b\"c",NULL}.
// Bind it as a text parameter and cast it (`$1::text[]`).
std::string ArrayLiteral(const std::vector<std::optional<std::string>>& elements);

// Parses a one-dimensional array as Postgres prints it in text form.
Result<std::vector<std::optional<std::string>>> ParseArray(std::string_view text);

// Appends one field of a COPY text-format row (no delimiter): backslash,
// tab, newline and carriage return escaped; nullopt written as \N.
void AppendCopyField(std::string* out, const std::optional<std::string>& value);

}  // namespace airpg::pg
