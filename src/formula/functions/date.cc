// Date functions. Instants are UTC epoch milliseconds; a date carries the
// display zone SET_TIMEZONE gave it, which DATETIME_FORMAT, DATESTR, TIMESTR
// and the part extractors (DAY…SECOND, WEEKDAY, WEEKNUM) honour.
#include <fmt/format.h>
#include <cmath>

#include "formula/civil_time.h"
#include "formula/date_format.h"
#include "formula/date_text.h"
#include "formula/date_units.h"
#include "formula/function_registry.h"

namespace airpg::formula {
namespace {

// The zone offset (seconds) for a date value at its instant; nullopt when its
// zone cannot be resolved.
std::optional<int> OffsetOf(const Value& date, const EvalContext& ctx) {
  if (date.zone.empty()) return 0;
  auto fixed = FixedZoneOffset(date.zone);
  if (fixed) return *fixed;
  if (!ctx.options.zones) return std::nullopt;
  const TimeZone* tz = ctx.options.zones(date.zone);
  if (!tz) return std::nullopt;
  return tz->OffsetAt(date.millis);
}

// What DATETIME_FORMAT's `z` and `zz` print (date_format.h); a named zone's
// abbreviation at the instant, as moment-timezone prints it for both.
ZoneNames NamesOf(const Value& date, const EvalContext& ctx) {
  if (auto fixed = FixedZoneNames(date.zone)) return *fixed;
  const TimeZone* tz = ctx.options.zones ? ctx.options.zones(date.zone) : nullptr;
  std::string abbreviation = tz ? tz->AbbreviationAt(date.millis) : "";
  return ZoneNames{abbreviation, abbreviation};
}

// Converts a date-ish argument; text is read as ISO 8601.
std::optional<Value> AsDate(const Value& v) {
  if (v.kind == ValueKind::kDate) return v;
  auto millis = ArgMillis(v);
  if (!millis) return std::nullopt;
  return Value::Date(*millis);
}

// Local civil time of a date argument, or nullopt (→ #ERROR!, or blank for a
// blank argument, decided by the caller).
std::optional<CivilTime> Local(const Value& v, const EvalContext& ctx) {
  auto d = AsDate(v);
  if (!d) return std::nullopt;
  auto offset = OffsetOf(*d, ctx);
  if (!offset) return std::nullopt;
  return CivilFromMillis(d->millis + *offset * 1000LL);
}

Value Now(const Args&, const EvalContext& ctx) { return Value::Date(ctx.options.now_millis); }
Value Today(const Args&, const EvalContext& ctx) {
  return Value::Date(FloorDays(ctx.options.now_millis) * kMillisPerDay);
}

Value DateAdd(const Args& a, const EvalContext&) {
  if (a[0].is_blank()) return Value::Blank();
  auto d = AsDate(a[0]);
  auto unit = ParseUnit(ToText(a[2]));
  double count = ToNumber(a[1]);
  if (!d || !unit || std::isnan(count) || std::fabs(count) > 1e12) return Value::Error();
  Value out = *d;
  out.millis = AddUnits(d->millis, count, *unit);
  return out;
}

Value DatetimeDiff(const Args& a, const EvalContext&) {
  if (a[0].is_blank() || a[1].is_blank()) return Value::Blank();
  auto x = AsDate(a[0]), y = AsDate(a[1]);
  auto unit = a.size() > 2 ? ParseUnit(ToText(a[2])) : std::optional<DateUnit>(DateUnit::kSecond);
  if (!x || !y) return Value::Error();
  if (!unit) unit = DateUnit::kSecond;
  return Value::Number(DiffUnits(x->millis, y->millis, *unit));
}

Value DatetimeFormat(const Args& a, const EvalContext& ctx) {
  if (a[0].is_blank()) return Value::Blank();
  auto d = AsDate(a[0]);
  if (!d) return Value::Error();
  auto offset = OffsetOf(*d, ctx);
  if (!offset) return Value::Error();
  std::string format = a.size() > 1 ? ToText(a[1]) : "YYYY-MM-DDTHH:mm:ss.SSSZ";
  return Value::Text(FormatMoment(d->millis, *offset, format, NamesOf(*d, ctx)));
}

Value DatetimeParse(const Args& a, const EvalContext&) {
  if (a[0].is_blank()) return Value::Blank();
  if (a[0].kind == ValueKind::kDate) return a[0];
  std::string text = ToText(a[0]);
  std::optional<int64_t> millis =
      a.size() > 1 && !a[1].is_blank() ? ParseMoment(text, ToText(a[1])) : ParseDateText(text);
  if (!millis) return Value::Error();
  return Value::Date(*millis);
}

Value DateStr(const Args& a, const EvalContext& ctx) {
  if (a[0].is_blank()) return Value::Blank();
  auto c = Local(a[0], ctx);
  if (!c) return Value::Error();
  return Value::Text(fmt::format("{:04}-{:02}-{:02}", c->year, c->month, c->day));
}
Value TimeStr(const Args& a, const EvalContext& ctx) {
  if (a[0].is_blank()) return Value::Blank();
  auto c = Local(a[0], ctx);
  if (!c) return Value::Error();
  return Value::Text(fmt::format("{:02}:{:02}:{:02}", c->hour, c->minute, c->second));
}

template <int CivilTime::*Part>
Value PartOf(const Args& a, const EvalContext& ctx) {
  if (a[0].is_blank()) return Value::Blank();
  auto c = Local(a[0], ctx);
  if (!c) return Value::Error();
  return Value::Number((*c).*Part);
}
Value Year(const Args& a, const EvalContext& ctx) {
  if (a[0].is_blank()) return Value::Blank();
  auto c = Local(a[0], ctx);
  if (!c) return Value::Error();
  return Value::Number(static_cast<double>(c->year));
}

// 0 for Sunday, or for Monday when the second argument is "Monday".
int FirstDay(const Args& a, size_t i) {
  if (a.size() <= i) return 0;
  std::string s = ToText(a[i]);
  return (s == "Monday" || s == "monday") ? 1 : 0;
}

Value Weekday(const Args& a, const EvalContext& ctx) {
  if (a[0].is_blank()) return Value::Blank();
  auto c = Local(a[0], ctx);
  if (!c) return Value::Error();
  int wd = WeekdayFromDays(DaysFromCivil(c->year, c->month, c->day));
  return Value::Number((wd - FirstDay(a, 1) + 7) % 7);
}

Value WeekNum(const Args& a, const EvalContext& ctx) {
  if (a[0].is_blank()) return Value::Blank();
  auto c = Local(a[0], ctx);
  if (!c) return Value::Error();
  int64_t days = DaysFromCivil(c->year, c->month, c->day);
  int64_t jan1 = DaysFromCivil(c->year, 1, 1);
  int shift = (WeekdayFromDays(jan1) - FirstDay(a, 1) + 7) % 7;
  return Value::Number(static_cast<double>((days - jan1 + shift) / 7 + 1));
}

Value IsSame(const Args& a, const EvalContext&) {
  auto x = AsDate(a[0]), y = AsDate(a[1]);
  if (!x || !y) return Value::Bool(false);
  if (a.size() < 3) return Value::Bool(x->millis == y->millis);
  auto unit = ParseUnit(ToText(a[2]));
  if (!unit) return Value::Error();
  return Value::Bool(StartOfUnit(x->millis, *unit) == StartOfUnit(y->millis, *unit));
}
Value IsBefore(const Args& a, const EvalContext&) {
  auto x = AsDate(a[0]), y = AsDate(a[1]);
  return Value::Bool(x && y && x->millis < y->millis);
}
Value IsAfter(const Args& a, const EvalContext&) {
  auto x = AsDate(a[0]), y = AsDate(a[1]);
  return Value::Bool(x && y && x->millis > y->millis);
}

Value SetTimezone(const Args& a, const EvalContext& ctx) {
  if (a[0].is_blank()) return Value::Blank();
  auto d = AsDate(a[0]);
  if (!d) return Value::Error();
  Value out = *d;
  out.zone = ToText(a[1]);
  if (out.zone == "UTC" || out.zone == "GMT" || out.zone == "Etc/UTC") out.zone.clear();
  if (!OffsetOf(out, ctx)) return Value::Error();
  return out;
}
Value SetLocale(const Args& a, const EvalContext&) {
  if (a[0].is_blank()) return Value::Blank();
  auto d = AsDate(a[0]);
  if (!d) return Value::Error();
  Value out = *d;
  out.locale = ToText(a[1]);
  return out;
}

Value ToNow(const Args& a, const EvalContext& ctx) {
  if (a[0].is_blank()) return Value::Blank();
  auto d = AsDate(a[0]);
  if (!d) return Value::Error();
  return Value::Number(DiffUnits(ctx.options.now_millis, d->millis, DateUnit::kDay));
}
Value FromNow(const Args& a, const EvalContext& ctx) {
  if (a[0].is_blank()) return Value::Blank();
  auto d = AsDate(a[0]);
  if (!d) return Value::Error();
  return Value::Number(DiffUnits(d->millis, ctx.options.now_millis, DateUnit::kDay));
}

Value CreatedTime(const Args&, const EvalContext& ctx) {
  return Value::Date(ctx.record.created_millis);
}
Value LastModifiedTime(const Args&, const EvalContext& ctx) {
  return Value::Date(ctx.record.modified_millis.value_or(ctx.record.created_millis));
}

}  // namespace

void RegisterWorkdayFunctions(std::vector<FunctionSpec>& out);

void RegisterDateFunctions(std::vector<FunctionSpec>& out) {
  out.push_back({"NOW", 0, 0, ReturnsDate, Now});
  out.push_back({"TODAY", 0, 0, ReturnsDate, Today});
  out.push_back({"DATEADD", 3, 3, ReturnsDate, DateAdd});
  out.push_back({"DATETIME_DIFF", 2, 3, ReturnsNumber, DatetimeDiff});
  out.push_back({"DATETIME_FORMAT", 1, 2, ReturnsText, DatetimeFormat});
  out.push_back({"DATETIME_PARSE", 1, 3, ReturnsDate, DatetimeParse});
  out.push_back({"DATESTR", 1, 1, ReturnsText, DateStr});
  out.push_back({"TIMESTR", 1, 1, ReturnsText, TimeStr});
  out.push_back({"DAY", 1, 1, ReturnsNumber, PartOf<&CivilTime::day>});
  out.push_back({"MONTH", 1, 1, ReturnsNumber, PartOf<&CivilTime::month>});
  out.push_back({"YEAR", 1, 1, ReturnsNumber, Year});
  out.push_back({"HOUR", 1, 1, ReturnsNumber, PartOf<&CivilTime::hour>});
  out.push_back({"MINUTE", 1, 1, ReturnsNumber, PartOf<&CivilTime::minute>});
  out.push_back({"SECOND", 1, 1, ReturnsNumber, PartOf<&CivilTime::second>});
  out.push_back({"WEEKDAY", 1, 2, ReturnsNumber, Weekday});
  out.push_back({"WEEKNUM", 1, 2, ReturnsNumber, WeekNum});
  out.push_back({"IS_SAME", 2, 3, ReturnsBool, IsSame});
  out.push_back({"IS_BEFORE", 2, 2, ReturnsBool, IsBefore});
  out.push_back({"IS_AFTER", 2, 2, ReturnsBool, IsAfter});
  out.push_back({"SET_TIMEZONE", 2, 2, ReturnsDate, SetTimezone});
  out.push_back({"SET_LOCALE", 2, 2, ReturnsDate, SetLocale});
  out.push_back({"TONOW", 1, 1, ReturnsNumber, ToNow});
  out.push_back({"FROMNOW", 1, 1, ReturnsNumber, FromNow});
  out.push_back({"CREATED_TIME", 0, 0, ReturnsDate, CreatedTime});
  out.push_back({"LAST_MODIFIED_TIME", 0, -1, ReturnsDate, LastModifiedTime});
  RegisterWorkdayFunctions(out);
}

}  // namespace airpg::formula
