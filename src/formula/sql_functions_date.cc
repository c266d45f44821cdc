// SQL translations of the date functions. Dates are timestamptz; calendar
// work happens on `AT TIME ZONE 'UTC'` timestamps so the session time zone
// never matters. Units, formats and zones must be literals.
#include <fmt/format.h>
#include <cmath>

#include "formula/civil_time.h"
#include "formula/date_format.h"
#include "formula/date_text.h"
#include "formula/date_units.h"
#include "formula/sql_date_format.h"
#include "formula/sql_functions.h"

namespace airpg::formula {
namespace {

SqlExpr Num(std::string sql, bool nullable = true) {
  return SqlExpr{std::move(sql), Type::kNumber, nullable};
}

Result<DateUnit> Unit(const SqlExpr& e, std::optional<DateUnit> fallback) {
  AIRPG_ASSIGN_OR_RETURN(std::string text, ConstText(e, "the unit"));
  auto unit = ParseUnit(text);
  if (!unit && fallback) return *fallback;
  if (!unit) return Unsupported("an unknown unit (an error in the evaluator)");
  return *unit;
}

Result<SqlExpr> Now(SqlBuilder& b, const SqlArgs&) { return b.Date(b.options().now_millis); }
Result<SqlExpr> Today(SqlBuilder& b, const SqlArgs&) {
  return b.Date(FloorDays(b.options().now_millis) * kMillisPerDay);
}

Result<SqlExpr> DateAdd(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(SqlExpr d, b.AsDate(a[0]));
  AIRPG_ASSIGN_OR_RETURN(DateUnit unit, Unit(a[2], std::nullopt));
  AIRPG_ASSIGN_OR_RETURN(std::string n, b.ToNumber(a[1]));
  const char* step = "1 millisecond";
  double factor = 1;
  switch (unit) {
    case DateUnit::kMillisecond:
      break;
    case DateUnit::kSecond:
      factor = 1000;
      break;
    case DateUnit::kMinute:
      factor = 60'000;
      break;
    case DateUnit::kHour:
      factor = 3'600'000;
      break;
    case DateUnit::kDay:
      step = "1 day";
      break;
    case DateUnit::kWeek:
      step = "7 days";
      break;
    case DateUnit::kMonth:
      step = "1 month";
      break;
    case DateUnit::kQuarter:
      step = "3 months";
      break;
    case DateUnit::kYear:
      step = "12 months";
      break;
  }
  std::string count = factor == 1
                          ? fmt::format("floor({} + 0.5::float8)", n)
                          : fmt::format("floor({} * {} + 0.5::float8)", n, b.Number(factor).sql);
  SqlExpr out = d;
  out.sql = fmt::format("((({} AT TIME ZONE 'UTC') + {} * {}) AT TIME ZONE 'UTC')", d.sql, count,
                        b.Param(step, "interval"));
  out.const_number.reset();
  out.const_text.reset();
  return out;
}

// (a − b) in milliseconds as exact numeric.
std::string MillisBetween(const std::string& a, const std::string& b) {
  return fmt::format("((extract(epoch FROM {}) - extract(epoch FROM {})) * 1000)", a, b);
}

// Months from y to x as Moment measures them (date_units.cc MonthsBetween):
// whole calendar months, plus the fraction of the next (or previous) month
// that the remainder covers, in the same float8 operations.
Result<SqlExpr> MonthDiff(SqlBuilder& b, const SqlExpr& x, const SqlExpr& y, DateUnit unit) {
  const char* divisor = unit == DateUnit::kYear      ? " / 12"
                        : unit == DateUnit::kQuarter ? " / 3"
                                                     : "";
  std::string month = b.Param("1 month", "interval");
  std::string sql = b.Let2(
      fmt::format("({} AT TIME ZONE 'UTC')", x.sql), fmt::format("({} AT TIME ZONE 'UTC')", y.sql),
      [&](const std::string& ux, const std::string& uy) {
        std::string whole = fmt::format(
            "((extract(year FROM {0}) - extract(year FROM {1})) * 12 + extract(month FROM {0}) - "
            "extract(month FROM {1}))::int",
            ux, uy);
        return b.Let(whole, [&](const std::string& w) {
          auto ms = [](const std::string& t) {
            return fmt::format("(extract(epoch FROM {}) * 1000)::float8", t);
          };
          std::vector<std::string> values = {ms(ux),
                                             ms(fmt::format("({} + {} * {})", uy, w, month)),
                                             ms(fmt::format("({} + ({} - 1) * {})", uy, w, month)),
                                             ms(fmt::format("({} + ({} + 1) * {})", uy, w, month))};
          return b.LetN(values, [&](const std::vector<std::string>& m) {
            return fmt::format(
                "(SELECT CASE WHEN \"r\" = 0 THEN 0::float8 ELSE \"r\" END FROM (SELECT "
                "trunc(({0}::float8 + CASE WHEN {1} - {2} < 0 THEN ({1} - {2}) / ({2} - {3}) "
                "ELSE ({1} - {2}) / ({4} - {2}) END){5}) AS \"r\") AS \"airpg_months\")",
                w, m[0], m[1], m[2], m[3], divisor);
          });
        });
      });
  return Num(sql);
}

Result<SqlExpr> DatetimeDiff(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(SqlExpr x, b.AsDate(a[0]));
  AIRPG_ASSIGN_OR_RETURN(SqlExpr y, b.AsDate(a[1]));
  DateUnit unit = DateUnit::kSecond;
  if (a.size() > 2) {
    AIRPG_ASSIGN_OR_RETURN(unit, Unit(a[2], DateUnit::kSecond));
  }
  int64_t per = 1;
  switch (unit) {
    case DateUnit::kMillisecond:
      break;
    case DateUnit::kSecond:
      per = 1000;
      break;
    case DateUnit::kMinute:
      per = 60'000;
      break;
    case DateUnit::kHour:
      per = 3'600'000;
      break;
    case DateUnit::kDay:
      per = kMillisPerDay;
      break;
    case DateUnit::kWeek:
      per = 7 * kMillisPerDay;
      break;
    default:
      return MonthDiff(b, x, y, unit);
  }
  return Num(fmt::format("(trunc({} / {}) + 0)::float8", MillisBetween(x.sql, y.sql),
                         b.Param(std::to_string(per), "numeric")));
}

Result<SqlExpr> DatetimeFormat(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(SqlExpr d, b.AsDate(a[0]));
  std::string format = "YYYY-MM-DDTHH:mm:ss.SSSZ";
  if (a.size() > 1) {
    AIRPG_ASSIGN_OR_RETURN(format, ConstText(a[1], "the format"));
  }
  return SqlFormatDate(b, d, format);
}
Result<SqlExpr> DateStr(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(SqlExpr d, b.AsDate(a[0]));
  return SqlFormatDate(b, d, "YYYY-MM-DD");
}
Result<SqlExpr> TimeStr(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(SqlExpr d, b.AsDate(a[0]));
  return SqlFormatDate(b, d, "HH:mm:ss");
}

Result<SqlExpr> DatetimeParse(SqlBuilder& b, const SqlArgs& a) {
  if (a[0].type == Type::kDate) return a[0];
  AIRPG_ASSIGN_OR_RETURN(std::string text, ConstText(a[0], "DATETIME_PARSE's text"));
  std::optional<int64_t> millis;
  if (a.size() > 1 && a[1].type != Type::kBlank) {
    AIRPG_ASSIGN_OR_RETURN(std::string format, ConstText(a[1], "DATETIME_PARSE's format"));
    millis = ParseMoment(text, format);
  } else {
    millis = ParseDateText(text);
  }
  if (!millis) return Unsupported("a text DATETIME_PARSE cannot read (an error in the evaluator)");
  return b.Date(*millis);
}

Result<SqlExpr> Part(SqlBuilder& b, const SqlArgs& a, const char* field) {
  AIRPG_ASSIGN_OR_RETURN(SqlExpr d, b.AsDate(a[0]));
  AIRPG_ASSIGN_OR_RETURN(std::string local, b.LocalTime(d));
  return Num(fmt::format("floor(extract({} FROM {}))::float8", field, local));
}
Result<SqlExpr> Day(SqlBuilder& b, const SqlArgs& a) { return Part(b, a, "day"); }
Result<SqlExpr> Month(SqlBuilder& b, const SqlArgs& a) { return Part(b, a, "month"); }
Result<SqlExpr> Year(SqlBuilder& b, const SqlArgs& a) { return Part(b, a, "year"); }
Result<SqlExpr> Hour(SqlBuilder& b, const SqlArgs& a) { return Part(b, a, "hour"); }
Result<SqlExpr> Minute(SqlBuilder& b, const SqlArgs& a) { return Part(b, a, "minute"); }
Result<SqlExpr> Second(SqlBuilder& b, const SqlArgs& a) { return Part(b, a, "second"); }

Result<int> FirstDay(const SqlArgs& a) {
  if (a.size() < 2) return 0;
  AIRPG_ASSIGN_OR_RETURN(std::string s, ConstText(a[1], "the first day of the week"));
  return (s == "Monday" || s == "monday") ? 1 : 0;
}

Result<SqlExpr> Weekday(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(int first, FirstDay(a));
  AIRPG_ASSIGN_OR_RETURN(SqlExpr d, b.AsDate(a[0]));
  AIRPG_ASSIGN_OR_RETURN(std::string local, b.LocalTime(d));
  return Num(fmt::format("((extract(dow FROM {})::int + {}) % 7)::float8", local, 7 - first));
}

Result<SqlExpr> WeekNum(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(int first, FirstDay(a));
  AIRPG_ASSIGN_OR_RETURN(SqlExpr d, b.AsDate(a[0]));
  AIRPG_ASSIGN_OR_RETURN(std::string local, b.LocalTime(d));
  return Num(b.Let(local, [&](const std::string& v) {
    return fmt::format(
        "((extract(doy FROM {0})::int - 1 + (extract(dow FROM date_trunc('year', {0}))::int + "
        "{1}) % 7) / 7 + 1)::float8",
        v, 7 - first);
  }));
}

// The start of `unit` around a UTC timestamp (weeks start on Sunday).
std::string Truncate(const std::string& utc, DateUnit unit) {
  switch (unit) {
    case DateUnit::kMillisecond:
      return utc;
    case DateUnit::kSecond:
      return fmt::format("date_trunc('second', {})", utc);
    case DateUnit::kMinute:
      return fmt::format("date_trunc('minute', {})", utc);
    case DateUnit::kHour:
      return fmt::format("date_trunc('hour', {})", utc);
    case DateUnit::kDay:
      return fmt::format("date_trunc('day', {})", utc);
    case DateUnit::kWeek:
      return fmt::format("(date_trunc('day', {0}) - extract(dow FROM {0})::int * interval '1 day')",
                         utc);
    case DateUnit::kMonth:
      return fmt::format("date_trunc('month', {})", utc);
    case DateUnit::kQuarter:
      return fmt::format("date_trunc('quarter', {})", utc);
    case DateUnit::kYear:
      return fmt::format("date_trunc('year', {})", utc);
  }
  return utc;
}

Result<SqlExpr> IsSame(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(SqlExpr x, b.AsDate(a[0]));
  AIRPG_ASSIGN_OR_RETURN(SqlExpr y, b.AsDate(a[1]));
  DateUnit unit = DateUnit::kMillisecond;
  if (a.size() > 2) {
    AIRPG_ASSIGN_OR_RETURN(unit, Unit(a[2], std::nullopt));
  }
  std::string ux = fmt::format("({} AT TIME ZONE 'UTC')", x.sql);
  std::string uy = fmt::format("({} AT TIME ZONE 'UTC')", y.sql);
  return SqlExpr{fmt::format("COALESCE({} = {}, FALSE)", Truncate(ux, unit), Truncate(uy, unit)),
                 Type::kBool, false};
}

Result<SqlExpr> Order(SqlBuilder& b, const SqlArgs& a, const char* op) {
  AIRPG_ASSIGN_OR_RETURN(SqlExpr x, b.AsDate(a[0]));
  AIRPG_ASSIGN_OR_RETURN(SqlExpr y, b.AsDate(a[1]));
  return SqlExpr{fmt::format("COALESCE({} {} {}, FALSE)", x.sql, op, y.sql), Type::kBool, false};
}
Result<SqlExpr> IsBefore(SqlBuilder& b, const SqlArgs& a) { return Order(b, a, "<"); }
Result<SqlExpr> IsAfter(SqlBuilder& b, const SqlArgs& a) { return Order(b, a, ">"); }

Result<SqlExpr> SetTimezone(SqlBuilder& b, const SqlArgs& a) {
  AIRPG_ASSIGN_OR_RETURN(SqlExpr d, b.AsDate(a[0]));
  AIRPG_ASSIGN_OR_RETURN(std::string zone, ConstText(a[1], "the time zone"));
  if (zone == "UTC" || zone == "GMT" || zone == "Etc/UTC") zone.clear();
  bool known = zone.empty() || FixedZoneOffset(zone) ||
               (b.options().zones && b.options().zones(zone) != nullptr);
  if (!known) return Unsupported("an unknown time zone (an error in the evaluator)");
  d.zone = zone;
  return d;
}
Result<SqlExpr> SetLocale(SqlBuilder& b, const SqlArgs& a) { return b.AsDate(a[0]); }

Result<SqlExpr> DaysFromNow(SqlBuilder& b, const SqlArgs& a, bool to_now) {
  AIRPG_ASSIGN_OR_RETURN(SqlExpr d, b.AsDate(a[0]));
  SqlExpr now = b.Date(b.options().now_millis);
  std::string between = to_now ? MillisBetween(now.sql, d.sql) : MillisBetween(d.sql, now.sql);
  return Num(fmt::format("(trunc({} / 86400000) + 0)::float8", between));
}
Result<SqlExpr> ToNow(SqlBuilder& b, const SqlArgs& a) { return DaysFromNow(b, a, true); }
Result<SqlExpr> FromNow(SqlBuilder& b, const SqlArgs& a) { return DaysFromNow(b, a, false); }

Result<SqlExpr> CreatedTime(SqlBuilder& b, const SqlArgs&) {
  if (b.options().created_time_sql.empty()) return Unsupported("CREATED_TIME without its column");
  return SqlExpr{fmt::format("({})::timestamptz", b.options().created_time_sql), Type::kDate,
                 false};
}
Result<SqlExpr> LastModifiedTime(SqlBuilder& b, const SqlArgs&) {
  const SqlOptions& o = b.options();
  if (o.created_time_sql.empty() || o.last_modified_sql.empty()) {
    return Unsupported("LAST_MODIFIED_TIME without its columns");
  }
  return SqlExpr{fmt::format("COALESCE(({})::timestamptz, ({})::timestamptz)", o.last_modified_sql,
                             o.created_time_sql),
                 Type::kDate, false};
}

}  // namespace

void RegisterSqlDate(SqlFunctionTable& t) {
  t["NOW"] = Now;
  t["TODAY"] = Today;
  t["DATEADD"] = DateAdd;
  t["DATETIME_DIFF"] = DatetimeDiff;
  t["DATETIME_FORMAT"] = DatetimeFormat;
  t["DATETIME_PARSE"] = DatetimeParse;
  t["DATESTR"] = DateStr;
  t["TIMESTR"] = TimeStr;
  t["DAY"] = Day;
  t["MONTH"] = Month;
  t["YEAR"] = Year;
  t["HOUR"] = Hour;
  t["MINUTE"] = Minute;
  t["SECOND"] = Second;
  t["WEEKDAY"] = Weekday;
  t["WEEKNUM"] = WeekNum;
  t["IS_SAME"] = IsSame;
  t["IS_BEFORE"] = IsBefore;
  t["IS_AFTER"] = IsAfter;
  t["SET_TIMEZONE"] = SetTimezone;
  t["SET_LOCALE"] = SetLocale;
  t["TONOW"] = ToNow;
  t["FROMNOW"] = FromNow;
  t["CREATED_TIME"] = CreatedTime;
  t["LAST_MODIFIED_TIME"] = LastModifiedTime;
}

}  // namespace airpg::formula
