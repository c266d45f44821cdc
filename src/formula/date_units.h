// DateUnits: the unit specifiers of DATEADD, DATETIME_DIFF and IS_SAME, and
// calendar arithmetic in those units (months clamp to the month's last day;
// differences truncate toward zero, months as Moment.js measures them).
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace airpg::formula {

enum class DateUnit { kMillisecond, kSecond, kMinute, kHour, kDay, kWeek, kMonth, kQuarter, kYear };

// "milliseconds"/"millisecond"/"ms", "seconds"/"s", "minutes"/"m", "hours"/"h",
// "days"/"d", "weeks"/"w", "months"/"M", "quarters"/"Q", "years"/"y".
// Long names are case-insensitive; one-letter names are case-sensitive.
std::optional<DateUnit> ParseUnit(std::string_view text);

// `millis` plus `count` units. Day and larger units take count rounded half
// away from zero; smaller units are exact to the millisecond.
int64_t AddUnits(int64_t millis, double count, DateUnit unit);

// (a − b) in whole units, truncated toward zero.
double DiffUnits(int64_t a, int64_t b, DateUnit unit);

// The first instant of the unit holding `millis` (weeks start on Sunday).
int64_t StartOfUnit(int64_t millis, DateUnit unit);

// "+05:30", "-0800", "Z"/"UTC" → seconds east of UTC; nullopt otherwise.
std::optional<int> FixedZoneOffset(std::string_view zone);

}  // namespace airpg::formula
