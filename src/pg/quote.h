// The one quoting helper for generated SQL: identifiers are always quoted
// here, values always travel as parameters (text form). Also the text forms of
// arrays and COPY fields. Pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/sql_array.h"
#include "base/sql_identifier.h"

namespace airpg::pg {

// Identifiers: the base helpers, under the names pg/ code has always used.
using ::airpg::QualifiedName;
using ::airpg::QuoteIdentifier;

// Array text forms: the base helpers (base/sql_array.h), likewise.
using ::airpg::ArrayLiteral;
using ::airpg::ParseArray;

// Appends one field of a COPY text-format row (no delimiter): backslash,
// tab, newline and carriage return escaped; nullopt written as \N.
void AppendCopyField(std::string* out, const std::optional<std::string>& value);

}  // namespace airpg::pg
