// Calendar arithmetic after Howard Hinnant's days-from-civil algorithms.
#include "formula/civil_time.h"

namespace airpg::formula {

int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t FloorDays(int64_t millis) {
  int64_t days = millis / kMillisPerDay;
  if (millis % kMillisPerDay < 0) --days;
  return days;
}

CivilTime CivilFromMillis(int64_t millis) {
  int64_t z = FloorDays(millis);
  int64_t rem = millis - z * kMillisPerDay;
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  CivilTime c;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2);
  c.hour = static_cast<int>(rem / 3'600'000);
  c.minute = static_cast<int>(rem / 60'000 % 60);
  c.second = static_cast<int>(rem / 1000 % 60);
  c.millisecond = static_cast<int>(rem % 1000);
  return c;
}

int64_t MillisFromCivil(const CivilTime& c) {
  return DaysFromCivil(c.year, c.month, c.day) * kMillisPerDay + c.hour * 3'600'000LL +
         c.minute * 60'000LL + c.second * 1000LL + c.millisecond;
}

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

int WeekdayFromDays(int64_t days) {
  int64_t w = (days + 4) % 7;  // 1970-01-01 was a Thursday
  return static_cast<int>(w < 0 ? w + 7 : w);
}

namespace {

bool ReadDigits(std::string_view s, size_t& i, int count, int& out) {
  if (i + count > s.size()) return false;
  out = 0;
  for (int k = 0; k < count; ++k) {
    char c = s[i + k];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  i += count;
  return true;
}

}  // namespace

std::optional<int64_t> ParseIsoMillis(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  size_t i = 0;
  CivilTime c;
  int year = 0;
  if (!ReadDigits(s, i, 4, year) || i >= s.size() || s[i++] != '-') return std::nullopt;
  c.year = year;
  if (!ReadDigits(s, i, 2, c.month) || i >= s.size() || s[i++] != '-') return std::nullopt;
  if (!ReadDigits(s, i, 2, c.day)) return std::nullopt;
  if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > DaysInMonth(c.year, c.month)) {
    return std::nullopt;
  }
  int64_t offset_minutes = 0;
  if (i < s.size() && (s[i] == 'T' || s[i] == ' ')) {
    ++i;
    if (!ReadDigits(s, i, 2, c.hour) || i >= s.size() || s[i++] != ':') return std::nullopt;
    if (!ReadDigits(s, i, 2, c.minute)) return std::nullopt;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!ReadDigits(s, i, 2, c.second)) return std::nullopt;
      if (i < s.size() && s[i] == '.') {
        ++i;
        int scale = 100;
        size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
          c.millisecond += (s[i] - '0') * scale;
          scale /= 10;
          ++i;
        }
        if (i == start) return std::nullopt;
      }
    }
    if (c.hour > 23 || c.minute > 59 || c.second > 59) return std::nullopt;
    if (i < s.size() && s[i] == 'Z') {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      int sign = s[i++] == '-' ? -1 : 1;
      int oh = 0, om = 0;
      if (!ReadDigits(s, i, 2, oh)) return std::nullopt;
      if (i < s.size() && s[i] == ':') ++i;
      if (!ReadDigits(s, i, 2, om)) return std::nullopt;
      offset_minutes = sign * (oh * 60 + om);
    }
  }
  if (i != s.size()) return std::nullopt;
  return MillisFromCivil(c) - offset_minutes * 60'000;
}

}  // namespace airpg::formula
