// SQL translations of the numeric functions, in float8 with the same IEEE
// operations as the evaluator, guarded where Postgres would raise an error
// that JavaScript answers with NaN or Infinity.
#include <fmt/format.h>
#include <cmath>

#include "formula/sql_functions.h"
#include "formula/value.h"

namespace airpg::formula {
namespace {

SqlExpr Num(std::string sql, bool nullable = false) {
  return SqlExpr{std::move(sql), Type::kNumber, nullable};
}

Result<SqlExpr> Unary(SqlBuilder& b, const SqlArgs& a, const char* pattern) {
  AIRPG_ASSIGN_OR_RETURN(std::string x, b.ToNumber(a[0]));
  return Num(b.Let(x, [&](const std::string& v) { return fmt::format(fmt::runtime(pattern), v); }));
}

Result<SqlExpr> Abs(SqlBuilder& b, const SqlArgs& a) { return Unary(b, a, "abs({0})"); }
Result<SqlExpr> Int(SqlBuilder& b, const SqlArgs& a) { return Unary(b, a, "floor({0})"); }
Result<SqlExpr> Sqrt(SqlBuilder& b, const SqlArgs& a) {
  return Unary(b, a, "CASE WHEN {0} < 0 THEN 'NaN'::float8 ELSE sqrt({0}) END");
}
Result<SqlExpr> Exp(SqlBuilder& b, const SqlArgs& a) { return Unary(b, a, "exp({0})"); }
Result<SqlExpr> Even(SqlBuilder& b, const SqlArgs& a) {
  return Unary(b, a,
               "CASE WHEN {0} < 0 THEN -(ceil(abs({0}) / 2) * 2) ELSE ceil(abs({0}) / 2) * 2 END");
}
Result<SqlExpr> Odd(SqlBuilder& b, const SqlArgs& a) {
  return Unary(b, a,
               "CASE WHEN {0} < 0 THEN -(ceil((abs({0}) + 1) / 2) * 2 - 1) "
               "ELSE ceil((abs({0}) + 1) / 2) * 2 - 1 END");
}

// 10^trunc(p) for a literal precision, bound as a parameter.
Result<std::string> Scale(SqlBuilder& b, const SqlArgs& a) {
  double p = 0;
  if (a.size() > 1) {
    AIRPG_ASSIGN_OR_RETURN(p, ConstNumber(a[1], "the precision"));
  }
  if (std::isnan(p)) return Unsupported("a NaN precision");
  return b.Number(std::pow(10.0, std::trunc(p))).sql;
}

Result<SqlExpr> Rounding(SqlBuilder& b, const SqlArgs& a, const char* pattern) {
  AIRPG_ASSIGN_OR_RETURN(std::string f, Scale(b, a));
  AIRPG_ASSIGN_OR_RETURN(std::string x, b.ToNumber(a[0]));
  return Num(
      b.Let(x, [&](const std::string& v) { return fmt::format(fmt::runtime(pattern), v, f); }));
}
Result<SqlExpr> Round(SqlBuilder& b, const SqlArgs& a) {
  return Rounding(b, a, "floor({0} * {1} + 0.5::float8) / {1}");
}
Result<SqlExpr> RoundUp(SqlBuilder& b, const SqlArgs& a) {
  return Rounding(b, a,
                  "CASE WHEN {0} < 0 THEN -(ceil(abs({0}) * {1}) / {1}) "
                  "ELSE ceil(abs({0}) * {1}) / {1} END");
}
Result<SqlExpr> RoundDown(SqlBuilder& b, const SqlArgs& a) {
  return Rounding(b, a,
                  "CASE WHEN {0} < 0 THEN -(floor(abs({0}) * {1}) / {1}) "
                  "ELSE floor(abs({0}) * {1}) / {1} END");
}

Result<SqlExpr> Multiple(SqlBuilder& b, const SqlArgs& a, const char* fn) {
  double sig = 1;
  if (a.size() > 1) {
    AIRPG_ASSIGN_OR_RETURN(sig, ConstNumber(a[1], "the significance"));
  }
  if (sig == 0) return b.Number(0);
  if (std::isnan(sig)) return Unsupported("a NaN significance");
  std::string s = b.Number(sig).sql;
  AIRPG_ASSIGN_OR_RETURN(std::string x, b.ToNumber(a[0]));
  return Num(fmt::format("({}({} / {}) * {})", fn, x, s, s));
}
Result<SqlExpr> Ceiling(SqlBuilder& b, const SqlArgs& a) { return Multiple(b, a, "ceil"); }
Result<SqlExpr> Floor(SqlBuilder& b, const SqlArgs& a) { return Multiple(b, a, "floor"); }

Result<SqlExpr> Power(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string x, b.ToNumber(a[0]));
  AIRPG_ASSIGN_OR_RETURN(std::string y, b.ToNumber(a[1]));
  return Num(b.Let2(x, y, [](const std::string& p, const std::string& q) {
    return fmt::format(
        "CASE WHEN {0} = 0 AND {1} < 0 THEN 'Infinity'::float8 "
        "WHEN {0} < 0 AND {1} <> trunc({1}) THEN 'NaN'::float8 ELSE power({0}, {1}) END",
        p, q);
  }));
}

// Natural log with JavaScript's answers for 0 and negatives.
std::string Ln(const std::string& v) {
  return fmt::format(
      "CASE WHEN {0} < 0 THEN 'NaN'::float8 WHEN {0} = 0 THEN '-Infinity'::float8 "
      "ELSE ln({0}) END",
      v);
}

Result<SqlExpr> Log(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(std::string x, b.ToNumber(a[0]));
  std::string base = "10::float8";
  if (a.size() > 1) {
    AIRPG_ASSIGN_OR_RETURN(base, b.ToNumber(a[1]));
  }
  return Num(b.Let2(x, base, [](const std::string& p, const std::string& q) {
    std::string lx = Ln(p), lb = Ln(q);
    return fmt::format(
        "CASE WHEN ({1}) <> 0 OR ({1}) = 'NaN'::float8 THEN ({0}) / ({1}) "
        "WHEN ({0}) = 0 OR ({0}) = 'NaN'::float8 THEN 'NaN'::float8 "
        "WHEN ({0}) > 0 THEN 'Infinity'::float8 ELSE '-Infinity'::float8 END",
        lx, lb);
  }));
}

// The numeric value of an aggregate argument, NULL when the evaluator would
// skip it (blank, text, dates); arrays are refused.
Result<std::optional<std::string>> AggregateItem(const SqlExpr& e) {
  switch (e.type) {
    case Type::kNumber:
      return std::optional<std::string>(e.sql);
    case Type::kBool:
      return std::optional<std::string>(
          fmt::format("(CASE WHEN {0} THEN 1 WHEN NOT {0} THEN 0 END)::float8", e.sql));
    case Type::kBlank:
    case Type::kText:
    case Type::kDate:
      return std::optional<std::string>();
    default:
      return Unsupported("an array or a value of unknown type in an aggregate");
  }
}

Result<std::vector<std::string>> Items(const SqlArgs& a) {
  std::vector<std::string> out;
  for (const SqlExpr& e : a) {
    AIRPG_ASSIGN_OR_RETURN(auto item, AggregateItem(e));
    if (item) out.push_back(*item);
  }
  return out;
}

Result<SqlExpr> Sum(SqlBuilder&, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(auto items, Items(a));
  std::string sql = "(0::float8";
  for (const std::string& s : items) sql += fmt::format(" + COALESCE({}, 0::float8)", s);
  return Num(sql + ")");
}

// Items are bound once (LetN) so nesting aggregates keeps the SQL linear.
Result<SqlExpr> Extreme(SqlBuilder& b, const SqlArgs& a, const char* fn) {
  AIRPG_ASSIGN_OR_RETURN(auto items, Items(a));
  if (items.empty()) return b.Number(0);
  return Num(b.LetN(items, [&](const std::vector<std::string>& v) {
    std::string list, any_nan;
    for (size_t i = 0; i < v.size(); ++i) {
      list += (i ? ", " : "") + v[i];
      any_nan += fmt::format("{}{} = 'NaN'::float8", i ? " OR " : "", v[i]);
    }
    return fmt::format("CASE WHEN {} THEN 'NaN'::float8 ELSE COALESCE({}({}), 0::float8) END",
                       any_nan, fn, list);
  }));
}
Result<SqlExpr> Max(SqlBuilder& b, const SqlArgs& a) { return Extreme(b, a, "GREATEST"); }
Result<SqlExpr> Min(SqlBuilder& b, const SqlArgs& a) { return Extreme(b, a, "LEAST"); }

std::string CountPresent(const std::vector<std::string>& items) {
  std::string sql = "(0";
  for (const std::string& s : items)
    sql += fmt::format(" + (CASE WHEN {} IS NULL THEN 0 ELSE 1 END)", s);
  return sql + ")";
}

Result<SqlExpr> Average(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(auto items, Items(a));
  if (items.empty()) return SqlExpr{"NULL::float8", Type::kNumber, true};
  return Num(b.LetN(items,
                    [&](const std::vector<std::string>& v) {
                      std::string sum = "(0::float8";
                      for (const std::string& s : v)
                        sum += fmt::format(" + COALESCE({}, 0::float8)", s);
                      return fmt::format("{}) / NULLIF({}, 0)::float8", sum, CountPresent(v));
                    }),
             true);
}

Result<SqlExpr> Count(SqlBuilder&, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(auto items, Items(a));
  return Num(fmt::format("({})::float8", CountPresent(items)));
}

Result<SqlExpr> CountA(SqlBuilder&, const SqlArgs& a) {
  std::string sql = "(0";
  for (const SqlExpr& e : a) {
    if (e.type == Type::kArray || e.type == Type::kAny) {
      return Unsupported("an array or a value of unknown type in COUNTA");
    }
    if (e.type == Type::kBlank) continue;
    if (e.type == Type::kText) {
      sql += fmt::format(" + (CASE WHEN COALESCE({}, '') = '' THEN 0 ELSE 1 END)", e.sql);
    } else {
      sql += fmt::format(" + (CASE WHEN {} IS NULL THEN 0 ELSE 1 END)", e.sql);
    }
  }
  return Num(sql + ")::float8");
}

Result<SqlExpr> CountAll(SqlBuilder& b, const SqlArgs& a) {
  for (const SqlExpr& e : a) {
    if (e.type == Type::kArray || e.type == Type::kAny) {
      return Unsupported("an array or a value of unknown type in COUNTALL");
    }
  }
  return b.Number(static_cast<double>(a.size()));
}

}  // namespace

void RegisterSqlNumeric(SqlFunctionTable& t) {
  t["ABS"] = Abs;
  t["INT"] = Int;
  t["SQRT"] = Sqrt;
  t["EXP"] = Exp;
  t["EVEN"] = Even;
  t["ODD"] = Odd;
  t["ROUND"] = Round;
  t["ROUNDUP"] = RoundUp;
  t["ROUNDDOWN"] = RoundDown;
  t["CEILING"] = Ceiling;
  t["FLOOR"] = Floor;
  t["POWER"] = Power;
  t["LOG"] = Log;
  t["SUM"] = Sum;
  t["MAX"] = Max;
  t["MIN"] = Min;
  t["AVERAGE"] = Average;
  t["COUNT"] = Count;
  t["COUNTA"] = CountA;
  t["COUNTALL"] = CountAll;
}

}  // namespace airpg::formula
