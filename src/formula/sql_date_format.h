// SqlDateFormat: DATETIME_FORMAT (and DATESTR, TIMESTR) in SQL — a Moment
// format becomes to_char pieces for the tokens Postgres renders identically
// and small SQL expressions for the rest (d e E S SS x X w ww, and Z/ZZ in
// named zones), concatenated. Internal to src/formula/. Thread-compatible.
#pragma once

#include <string_view>

#include "base/result.h"
#include "formula/sql_expr.h"

namespace airpg::formula {

// The date formatted in its display zone; NULL (blank) for a blank date.
// REQUIRES: date.type == Type::kDate.
Result<SqlExpr> SqlFormatDate(SqlBuilder& b, const SqlExpr& date, std::string_view moment_format);

}  // namespace airpg::formula
