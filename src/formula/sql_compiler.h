// SqlCompiler: formula syntax tree → one PostgreSQL expression over the
// mirrored table's columns, with the evaluator's results (blanks, coercions,
// comparisons). Used by the Airtable-compatible API for filterByFormula and
// for formula fields kept in Postgres. Every literal is a bound parameter;
// column expressions come from the caller's resolver. What cannot be
// translated exactly is refused with kUnimplemented, never approximated.
// Thread-safe: compilation keeps no state between calls.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "formula/ast.h"
#include "formula/time_zone.h"
#include "formula/types.h"

namespace airpg::formula {

struct CompiledSql {
  std::string sql;  // an expression; parameters are $1…$n with explicit casts
  std::vector<std::optional<std::string>> params;  // text form; nullopt = NULL
  Type type = Type::kAny;                          // kNumber: float8, kText: text, kBool: boolean,
                           // kDate: timestamptz, kArray: text[]; NULL = blank
};

// A field reference resolved to SQL: `sql` is a quoted column expression
// (e.g. `"t"."unit_price"`) whose values the compiler casts per field type:
// number-like → float8, text-like → text, checkbox → boolean, date → date,
// dateTime-like → timestamptz, multi-valued → text[].
// Formula and rollup cells can hold error values, which a column cannot; such
// a field compiles only when the resolver vouches that none of its cells is
// an error (error_free), since blank is not the same as #ERROR!.
struct ResolvedColumn {
  std::string sql;
  FieldInfo field;
  bool error_free = false;
};
using ColumnResolver = std::function<Result<ResolvedColumn>(std::string_view name_or_id)>;

struct SqlOptions {
  int64_t now_millis = 0;         // bound for NOW(), TODAY(), TONOW(), FROMNOW()
  TimeZoneLookup zones;           // which zone names SET_TIMEZONE accepts
  std::string record_id_sql;      // RECORD_ID(); refused when empty
  std::string created_time_sql;   // CREATED_TIME() (timestamptz); refused when empty
  std::string last_modified_sql;  // LAST_MODIFIED_TIME(); refused when empty
};

// The formula's value as SQL (NULL for blank).
Result<CompiledSql> CompileToSql(const Node& root, const ColumnResolver& resolve,
                                 const SqlOptions& options);

// The formula as a boolean WHERE condition: true exactly when the
// evaluator's result is truthy (never NULL).
Result<CompiledSql> CompileFilterToSql(const Node& root, const ColumnResolver& resolve,
                                       const SqlOptions& options);

}  // namespace airpg::formula
