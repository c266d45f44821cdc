// Unit arithmetic on UTC civil time.
#include "formula/date_units.h"

#include <cmath>
#include <string>

#include "formula/civil_time.h"

namespace airpg::formula {

std::optional<DateUnit> ParseUnit(std::string_view text) {
  if (text == "ms") return DateUnit::kMillisecond;
  if (text == "s") return DateUnit::kSecond;
  if (text == "m") return DateUnit::kMinute;
  if (text == "h") return DateUnit::kHour;
  if (text == "d") return DateUnit::kDay;
  if (text == "w") return DateUnit::kWeek;
  if (text == "M") return DateUnit::kMonth;
  if (text == "Q") return DateUnit::kQuarter;
  if (text == "y") return DateUnit::kYear;
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!lower.empty() && lower.back() == 's') lower.pop_back();
  if (lower == "millisecond") return DateUnit::kMillisecond;
  if (lower == "second") return DateUnit::kSecond;
  if (lower == "minute") return DateUnit::kMinute;
  if (lower == "hour") return DateUnit::kHour;
  if (lower == "day") return DateUnit::kDay;
  if (lower == "week") return DateUnit::kWeek;
  if (lower == "month") return DateUnit::kMonth;
  if (lower == "quarter") return DateUnit::kQuarter;
  if (lower == "year") return DateUnit::kYear;
  return std::nullopt;
}

namespace {

int64_t AddMonths(int64_t millis, int64_t months) {
  CivilTime c = CivilFromMillis(millis);
  int64_t index = c.year * 12 + (c.month - 1) + months;
  c.year = index >= 0 ? index / 12 : (index - 11) / 12;
  c.month = static_cast<int>(index - c.year * 12) + 1;
  c.day = std::min(c.day, DaysInMonth(c.year, c.month));
  return MillisFromCivil(c);
}

// Half up, as JavaScript's Math.round (and floor(x + 0.5) in the SQL).
int64_t RoundCount(double count) { return static_cast<int64_t>(std::floor(count + 0.5)); }

// Months from b to a, fractional, as Moment's monthDiff measures them.
double MonthsBetween(int64_t a, int64_t b) {
  CivilTime ca = CivilFromMillis(a), cb = CivilFromMillis(b);
  int64_t whole = (ca.year - cb.year) * 12 + (ca.month - cb.month);
  int64_t anchor = AddMonths(b, whole);
  double adjust;
  if (a - anchor < 0) {
    int64_t anchor2 = AddMonths(b, whole - 1);
    adjust = static_cast<double>(a - anchor) / static_cast<double>(anchor - anchor2);
  } else {
    int64_t anchor2 = AddMonths(b, whole + 1);
    adjust = static_cast<double>(a - anchor) / static_cast<double>(anchor2 - anchor);
  }
  return static_cast<double>(whole) + adjust;
}

}  // namespace

int64_t AddUnits(int64_t millis, double count, DateUnit unit) {
  switch (unit) {
    case DateUnit::kMillisecond:
      return millis + RoundCount(count);
    case DateUnit::kSecond:
      return millis + RoundCount(count * 1000);
    case DateUnit::kMinute:
      return millis + RoundCount(count * 60'000);
    case DateUnit::kHour:
      return millis + RoundCount(count * 3'600'000);
    case DateUnit::kDay:
      return millis + RoundCount(count) * kMillisPerDay;
    case DateUnit::kWeek:
      return millis + RoundCount(count) * 7 * kMillisPerDay;
    case DateUnit::kMonth:
      return AddMonths(millis, RoundCount(count));
    case DateUnit::kQuarter:
      return AddMonths(millis, RoundCount(count) * 3);
    case DateUnit::kYear:
      return AddMonths(millis, RoundCount(count) * 12);
  }
  return millis;
}

double DiffUnits(int64_t a, int64_t b, DateUnit unit) {
  double d = static_cast<double>(a - b);
  double r = 0;
  switch (unit) {
    case DateUnit::kMillisecond:
      r = d;
      break;
    case DateUnit::kSecond:
      r = d / 1000;
      break;
    case DateUnit::kMinute:
      r = d / 60'000;
      break;
    case DateUnit::kHour:
      r = d / 3'600'000;
      break;
    case DateUnit::kDay:
      r = d / kMillisPerDay;
      break;
    case DateUnit::kWeek:
      r = d / (7.0 * kMillisPerDay);
      break;
    case DateUnit::kMonth:
      r = MonthsBetween(a, b);
      break;
    case DateUnit::kQuarter:
      r = MonthsBetween(a, b) / 3;
      break;
    case DateUnit::kYear:
      r = MonthsBetween(a, b) / 12;
      break;
  }
  r = std::trunc(r);
  return r == 0 ? 0 : r;  // no negative zero
}

int64_t StartOfUnit(int64_t millis, DateUnit unit) {
  CivilTime c = CivilFromMillis(millis);
  switch (unit) {
    case DateUnit::kMillisecond:
      return millis;
    case DateUnit::kSecond:
      c.millisecond = 0;
      break;
    case DateUnit::kMinute:
      c.millisecond = c.second = 0;
      break;
    case DateUnit::kHour:
      c.millisecond = c.second = c.minute = 0;
      break;
    case DateUnit::kDay:
      c.millisecond = c.second = c.minute = c.hour = 0;
      break;
    case DateUnit::kWeek: {
      int64_t days = FloorDays(millis);
      return (days - WeekdayFromDays(days)) * kMillisPerDay;
    }
    case DateUnit::kMonth:
      c = CivilTime{c.year, c.month, 1};
      break;
    case DateUnit::kQuarter:
      c = CivilTime{c.year, (c.month - 1) / 3 * 3 + 1, 1};
      break;
    case DateUnit::kYear:
      c = CivilTime{c.year, 1, 1};
      break;
  }
  return MillisFromCivil(c);
}

std::optional<int> FixedZoneOffset(std::string_view z) {
  if (z == "Z" || z == "UTC" || z == "GMT" || z == "Etc/UTC" || z == "Etc/GMT") return 0;
  if (z.size() < 5 || (z[0] != '+' && z[0] != '-')) return std::nullopt;
  std::string digits;
  for (char c : z.substr(1)) {
    if (c == ':') continue;
    if (c < '0' || c > '9') return std::nullopt;
    digits += c;
  }
  if (digits.size() != 4) return std::nullopt;
  int h = std::stoi(digits.substr(0, 2)), m = std::stoi(digits.substr(2));
  if (h > 14 || m > 59) return std::nullopt;
  return (z[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
}

}  // namespace airpg::formula
