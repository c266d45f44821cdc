// SQL translations of WORKDAY and WORKDAY_DIFF. Holidays must be a literal
// "YYYY-MM-DD, …" list (read at compile time); WORKDAY's count a literal.
// Day numbers are days since 1970-01-01 of the UTC date, as in the evaluator.
#include <fmt/format.h>
#include <cmath>
#include <set>

#include "formula/civil_time.h"
#include "formula/date_text.h"
#include "formula/sql_functions.h"

namespace airpg::formula {
namespace {

Result<std::set<int64_t>> Holidays(const SqlArgs& a) {
  std::set<int64_t> out;
  if (a.size() < 3 || a[2].type == Type::kBlank) return out;
  AIRPG_ASSIGN_OR_RETURN(std::string text, ConstText(a[2], "the holidays"));
  std::optional<std::vector<int64_t>> dates = ParseDateTextList(text);
  if (!dates) return Unsupported("an unreadable holiday (an error in the evaluator)");
  for (int64_t millis : *dates) out.insert(FloorDays(millis));
  return out;
}

std::string DayNumber(const std::string& date) {
  return fmt::format(
      "floor(extract(epoch FROM date_trunc('day', {} AT TIME ZONE 'UTC')) / 86400)::bigint", date);
}

// Weekday (0 = Sunday) of a day number.
std::string Weekday(const std::string& day) { return fmt::format("((({}) + 4) % 7 + 7) % 7", day); }

Result<SqlExpr> WorkdayDiff(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(SqlExpr x, b.AsDate(a[0]));
  AIRPG_ASSIGN_OR_RETURN(SqlExpr y, b.AsDate(a[1]));
  AIRPG_ASSIGN_OR_RETURN(std::set<int64_t> holidays, Holidays(a));
  std::string minus_holidays;
  for (int64_t h : holidays) {
    int wd = WeekdayFromDays(h);
    if (wd == 0 || wd == 6) continue;
    minus_holidays += fmt::format(" - (CASE WHEN {0} BETWEEN \"lo\" AND \"hi\" THEN 1 ELSE 0 END)",
                                  b.Param(std::to_string(h), "bigint"));
  }
  std::string sql =
      b.Let2(DayNumber(x.sql), DayNumber(y.sql), [&](const std::string& f, const std::string& t) {
        return fmt::format(
            "CASE WHEN {0} IS NULL OR {1} IS NULL THEN NULL::float8 ELSE "
            "(SELECT (CASE WHEN {0} > {1} THEN -1 ELSE 1 END * ((\"hi\" - \"lo\" + 1) / 7 * 5 + "
            "(SELECT count(*) FROM generate_series(0, (\"hi\" - \"lo\" + 1) % 7 - 1) AS \"k\" "
            "WHERE ({2} + \"k\") % 7 NOT IN (0, 6)){3}))::float8 "
            "FROM (SELECT LEAST({0}, {1}) AS \"lo\", GREATEST({0}, {1}) AS \"hi\") AS "
            "\"airpg_range\") "
            "END",
            f, t, Weekday("\"lo\""), minus_holidays);
      });
  return SqlExpr{sql, Type::kNumber, true};
}

Result<SqlExpr> Workday(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(SqlExpr start, b.AsDate(a[0]));
  AIRPG_ASSIGN_OR_RETURN(double count, ConstNumber(a[1], "WORKDAY's count"));
  if (std::isnan(count) || std::fabs(count) > 100'000) return Unsupported("WORKDAY's count");
  AIRPG_ASSIGN_OR_RETURN(std::set<int64_t> holidays, Holidays(a));
  auto n = static_cast<int64_t>(std::trunc(count));
  std::string day = DayNumber(start.sql);
  if (n == 0) {
    return SqlExpr{fmt::format("to_timestamp(({}) * 86400)", day), Type::kDate, true};
  }
  std::string excluded;
  for (int64_t h : holidays) {
    excluded += fmt::format(", {}", b.Param(std::to_string(h), "bigint"));
  }
  int64_t span = (std::llabs(n) + static_cast<int64_t>(holidays.size())) * 7 / 5 + 14;
  std::string sql = b.Let(day, [&](const std::string& d) {
    return fmt::format(
        "(SELECT to_timestamp(\"day\" * 86400) FROM generate_series({0} + {1}, {0} + {2}, {3}) "
        "AS \"day\" WHERE {4} NOT IN (0, 6){5} ORDER BY \"day\" {6} LIMIT 1 OFFSET {7})",
        d, n > 0 ? "1" : "-1", b.Param(std::to_string(n > 0 ? span : -span), "bigint"),
        n > 0 ? "1" : "-1", Weekday("\"day\""),
        excluded.empty() ? "" : " AND \"day\" NOT IN (" + excluded.substr(2) + ")",
        n > 0 ? "ASC" : "DESC", b.Param(std::to_string(std::llabs(n) - 1), "bigint"));
  });
  return SqlExpr{sql, Type::kDate, true};
}

}  // namespace

void RegisterSqlWorkday(SqlFunctionTable& t) {
  t["WORKDAY"] = Workday;
  t["WORKDAY_DIFF"] = WorkdayDiff;
}

}  // namespace airpg::formula
