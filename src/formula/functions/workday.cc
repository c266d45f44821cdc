// WORKDAY and WORKDAY_DIFF: Monday–Friday working days, skipping holidays
// given as "YYYY-MM-DD, …" text (or an array of dates).
#include <cmath>
#include <set>

#include "formula/civil_time.h"
#include "formula/date_text.h"
#include "formula/function_registry.h"

namespace airpg::formula {
namespace {

std::optional<std::set<int64_t>> Holidays(const Args& a, size_t i) {
  std::set<int64_t> out;
  if (a.size() <= i) return out;
  std::vector<Value> flat;
  Flatten(a[i], flat);
  for (const Value& v : flat) {
    if (v.kind == ValueKind::kDate) {
      out.insert(FloorDays(v.millis));
      continue;
    }
    std::optional<std::vector<int64_t>> dates = ParseDateTextList(ToText(v));
    if (!dates) return std::nullopt;
    for (int64_t millis : *dates) out.insert(FloorDays(millis));
  }
  return out;
}

bool IsWorkday(int64_t days, const std::set<int64_t>& holidays) {
  int wd = WeekdayFromDays(days);
  return wd != 0 && wd != 6 && !holidays.count(days);
}

Value Workday(const Args& a, const EvalContext&) {
  if (a[0].is_blank()) return Value::Blank();
  auto start = ArgMillis(a[0]);
  auto holidays = Holidays(a, 2);
  double n = ToNumber(a[1]);
  if (!start || !holidays || std::isnan(n) || std::fabs(n) > 100'000) return Value::Error();
  int64_t days = FloorDays(*start);
  int64_t remaining = static_cast<int64_t>(std::trunc(n));
  int step = remaining < 0 ? -1 : 1;
  while (remaining != 0) {
    days += step;
    if (IsWorkday(days, *holidays)) remaining -= step;
  }
  return Value::Date(days * kMillisPerDay);
}

// Working days in [from, to] (from <= to), counted arithmetically: whole
// weeks hold five, the remaining days are checked one by one, and holidays
// on working days inside the range are taken off. The SQL does the same.
int64_t CountWorkdays(int64_t from, int64_t to, const std::set<int64_t>& holidays) {
  int64_t total = to - from + 1;
  int64_t count = total / 7 * 5;
  int first = WeekdayFromDays(from);
  for (int64_t k = 0; k < total % 7; ++k) {
    int wd = static_cast<int>((first + k) % 7);
    if (wd != 0 && wd != 6) ++count;
  }
  for (int64_t h : holidays) {
    int wd = WeekdayFromDays(h);
    if (h >= from && h <= to && wd != 0 && wd != 6) --count;
  }
  return count;
}

Value WorkdayDiff(const Args& a, const EvalContext&) {
  if (a[0].is_blank() || a[1].is_blank()) return Value::Blank();
  auto start = ArgMillis(a[0]), end = ArgMillis(a[1]);
  auto holidays = Holidays(a, 2);
  if (!start || !end || !holidays) return Value::Error();
  int64_t from = FloorDays(*start), to = FloorDays(*end);
  if (from <= to) return Value::Number(static_cast<double>(CountWorkdays(from, to, *holidays)));
  return Value::Number(-static_cast<double>(CountWorkdays(to, from, *holidays)));
}

}  // namespace

void RegisterWorkdayFunctions(std::vector<FunctionSpec>& out) {
  out.push_back({"WORKDAY", 2, 3, ReturnsDate, Workday});
  out.push_back({"WORKDAY_DIFF", 2, 3, ReturnsNumber, WorkdayDiff});
}

}  // namespace airpg::formula
