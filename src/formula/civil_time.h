// CivilTime: proleptic Gregorian calendar arithmetic on epoch milliseconds,
// and the ISO 8601 reader the evaluator uses for date cells and DATETIME_PARSE.
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace airpg::formula {

struct CivilTime {
  int64_t year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0, minute = 0, second = 0, millisecond = 0;
};

constexpr int64_t kMillisPerDay = 86'400'000;

int64_t DaysFromCivil(int64_t year, int month, int day);
CivilTime CivilFromMillis(int64_t millis);
int64_t MillisFromCivil(const CivilTime& c);
int DaysInMonth(int64_t year, int month);
// 0 = Sunday ... 6 = Saturday.
int WeekdayFromDays(int64_t days);
// Floor division of millis into whole days since the epoch.
int64_t FloorDays(int64_t millis);

// Reads "YYYY-MM-DD", optionally followed by "T" or " " and "HH:mm[:ss[.SSS]]",
// optionally followed by "Z" or "±HH:mm"/"±HHmm". Without a zone the time is
// read as UTC. Returns nullopt for anything else or an invalid date.
std::optional<int64_t> ParseIsoMillis(std::string_view text);

}  // namespace airpg::formula
