// SQL translations of the array functions over text[] columns, and
// RECORD_ID. Empty results are '{}' (an empty array), never NULL, as in the
// evaluator.
#include <fmt/format.h>
#include <cmath>

#include "formula/sql_functions.h"

namespace airpg::formula {
namespace {

Result<std::string> ArrayArg(const SqlExpr& e, std::string_view fn) {
  if (e.type != Type::kArray) return Unsupported(fmt::format("{} of a non-array value", fn));
  return e.sql;
}

SqlExpr Array(std::string sql) { return SqlExpr{std::move(sql), Type::kArray, false}; }

Result<SqlExpr> ArrayJoin(SqlBuilder& b, const SqlArgs& a) {
  std::string sep = "', '::text";
  if (a.size() > 1) {
    AIRPG_ASSIGN_OR_RETURN(sep, b.ToText(a[1]));
  }
  if (a[0].type == Type::kArray) {
    return SqlExpr{fmt::format("COALESCE(array_to_string({}, {}), '')", a[0].sql, sep), Type::kText,
                   false};
  }
  AIRPG_ASSIGN_OR_RETURN(std::string t, b.ToText(a[0]));
  return SqlExpr{t, Type::kText, false};
}

Result<SqlExpr> ArrayUnique(SqlBuilder&, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string x, ArrayArg(a[0], "ARRAYUNIQUE"));
  return Array(fmt::format(
      "COALESCE((SELECT array_agg(\"u\".\"x\" ORDER BY \"u\".\"i\") FROM (SELECT \"x\", "
      "min(\"i\") AS \"i\" FROM unnest({}) WITH ORDINALITY AS \"e\"(\"x\", \"i\") "
      "GROUP BY \"x\") AS \"u\"), '{{}}'::text[])",
      x));
}

Result<SqlExpr> ArrayCompact(SqlBuilder&, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string x, ArrayArg(a[0], "ARRAYCOMPACT"));
  return Array(
      fmt::format("COALESCE(array_remove(array_remove({}, ''), NULL), '{{}}'::text[])", x));
}

Result<SqlExpr> ArrayFlatten(SqlBuilder&, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string x, ArrayArg(a[0], "ARRAYFLATTEN"));
  return Array(fmt::format("COALESCE({}, '{{}}'::text[])", x));
}

Result<SqlExpr> ArraySlice(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string x, ArrayArg(a[0], "ARRAYSLICE"));
  AIRPG_ASSIGN_OR_RETURN(double s, ConstNumber(a[1], "ARRAYSLICE's start"));
  std::optional<double> e;
  if (a.size() > 2) {
    AIRPG_ASSIGN_OR_RETURN(e, ConstNumber(a[2], "ARRAYSLICE's end"));
  }
  if (std::isnan(s) || (e && std::isnan(*e))) return Unsupported("a NaN slice bound");
  auto index = [&](double v, const std::string& n) {
    auto i = static_cast<int64_t>(std::trunc(std::clamp(v, -1e12, 1e12)));
    std::string p = b.Param(std::to_string(i), "bigint");
    return i < 0 ? fmt::format("({} + {} + 1)", n, p) : p;
  };
  return Array(b.Let(fmt::format("COALESCE({}, '{{}}'::text[])", x), [&](const std::string& v) {
    std::string n = fmt::format("cardinality({})", v);
    std::string from = fmt::format("GREATEST(1, {})", index(s, n));
    std::string to = e ? fmt::format("LEAST({}, {})", n, index(*e, n)) : n;
    return fmt::format("COALESCE({}[{}:{}], '{{}}'::text[])", v, from, to);
  }));
}

Result<SqlExpr> RecordId(SqlBuilder& b, const SqlArgs&) {
  if (b.options().record_id_sql.empty()) return Unsupported("RECORD_ID without its column");
  return SqlExpr{fmt::format("COALESCE(({})::text, '')", b.options().record_id_sql), Type::kText,
                 false};
}

}  // namespace

void RegisterSqlArray(SqlFunctionTable& t) {
  t["ARRAYJOIN"] = ArrayJoin;
  t["ARRAYUNIQUE"] = ArrayUnique;
  t["ARRAYCOMPACT"] = ArrayCompact;
  t["ARRAYFLATTEN"] = ArrayFlatten;
  t["ARRAYSLICE"] = ArraySlice;
  t["RECORD_ID"] = RecordId;
}

}  // namespace airpg::formula
