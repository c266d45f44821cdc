// SQL identifier quoting, the one place generated SQL gets its names from.
// It lives in base because both the pure translation layer (DDL in mapping/)
// and the Postgres layer (pg/) emit identifiers; values never go through
// here, they travel as parameters. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace airpg {

// "name" with embedded quotes doubled. NUL bytes, which no Postgres identifier
// can hold, are dropped. Never returns an unquoted identifier.
std::string QuoteIdentifier(std::string_view name);

// "schema"."name".
std::string QualifiedName(std::string_view schema, std::string_view name);

// 'text' with quotes doubled, or E'text' with quotes and backslashes doubled
// when it holds a backslash, so the literal reads the same whatever the
// session's standard_conforming_strings (issue 14). For SQL scripts printed
// for people to read or apply (`airpg schema plan`). SQL that airpg executes
// never uses this: its values travel as parameters.
std::string SqlStringLiteralForScript(std::string_view text);

}  // namespace airpg
