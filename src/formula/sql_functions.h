// SqlFunctions: the SQL translations of formula functions, by name, filled
// by sql_functions_{logical,text,numeric,date,array}.cc. A function missing
// here is refused by the compiler (kUnimplemented). Internal to src/formula/.
// Thread-safe: the table is built once.
#pragma once

#include <map>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "formula/sql_expr.h"

namespace airpg::formula {

using SqlArgs = std::vector<SqlExpr>;
using SqlFunction = Result<SqlExpr> (*)(SqlBuilder& b, const SqlArgs& args);
using SqlFunctionTable = std::map<std::string_view, SqlFunction, std::less<>>;

// nullptr when the function has no exact SQL translation.
SqlFunction FindSqlFunction(std::string_view upper_name);

void RegisterSqlLogical(SqlFunctionTable& table);
void RegisterSqlText(SqlFunctionTable& table);
void RegisterSqlNumeric(SqlFunctionTable& table);
void RegisterSqlDate(SqlFunctionTable& table);
void RegisterSqlArray(SqlFunctionTable& table);
void RegisterSqlWorkday(SqlFunctionTable& table);

// A literal number argument (after constant folding of unary minus), or an
// Unimplemented status naming `what`.
Result<double> ConstNumber(const SqlExpr& e, std::string_view what);
Result<std::string> ConstText(const SqlExpr& e, std::string_view what);

}  // namespace airpg::formula
