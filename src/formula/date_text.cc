// The loose date reader: ISO 8601 first, then the V8-style reading of
// everything else (see date_text.h for the forms and their rules).
#include "formula/date_text.h"

#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "formula/civil_time.h"

namespace airpg::formula {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};
constexpr std::array<std::string_view, 7> kDays = {"sunday",   "monday", "tuesday", "wednesday",
                                                   "thursday", "friday", "saturday"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Index (1-based) of the name `word` abbreviates (three letters or more).
template <size_t N>
int NameIndex(const std::array<std::string_view, N>& names, std::string_view word) {
  if (word.size() < 3) return 0;
  for (size_t k = 0; k < N; ++k) {
    if (names[k].substr(0, word.size()) == word) return static_cast<int>(k) + 1;
  }
  return 0;
}

// Reads digits at i; false when there are none or too many.
bool ReadNumber(std::string_view s, size_t& i, int64_t& out, int& digits) {
  out = 0;
  digits = 0;
  while (i < s.size() && IsDigit(s[i])) {
    if (++digits > 9) return false;
    out = out * 10 + (s[i++] - '0');
  }
  return digits > 0;
}

struct Parts {
  std::vector<int64_t> numbers;  // the date's numbers in order
  int named_month = 0;
  int hour = -1, minute = 0, second = 0, millisecond = 0;
  int ampm = -1;  // 0 am, 1 pm
  std::optional<int> offset_minutes;
};

// "+HH:mm", "+HHmm", "+HH" after a sign at s[i].
bool ReadOffset(std::string_view s, size_t& i, Parts& p) {
  int sign = s[i++] == '-' ? -1 : 1;
  int64_t n = 0;
  int digits = 0;
  if (!ReadNumber(s, i, n, digits)) return false;
  int minutes = 0;
  if (digits <= 2) {
    minutes = static_cast<int>(n) * 60;
    if (i < s.size() && s[i] == ':') {
      ++i;
      int64_t m = 0;
      if (!ReadNumber(s, i, m, digits) || digits != 2 || m > 59) return false;
      minutes += static_cast<int>(m);
    }
  } else if (digits == 4) {
    if (n % 100 > 59) return false;
    minutes = static_cast<int>(n / 100) * 60 + static_cast<int>(n % 100);
  } else {
    return false;
  }
  if (minutes > 24 * 60) return false;
  p.offset_minutes = sign * minutes;
  return true;
}

// H:mm[:ss[.SSS]] with the hour already read.
bool ReadTime(std::string_view s, size_t& i, int64_t hour, Parts& p) {
  if (p.hour >= 0) return false;
  int64_t n = 0;
  int digits = 0;
  ++i;  // ':'
  if (!ReadNumber(s, i, n, digits) || digits > 2) return false;
  p.hour = static_cast<int>(hour);
  p.minute = static_cast<int>(n);
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!ReadNumber(s, i, n, digits) || digits > 2) return false;
    p.second = static_cast<int>(n);
    if (i + 1 < s.size() && s[i] == '.' && IsDigit(s[i + 1])) {
      ++i;
      int scale = 100;
      while (i < s.size() && IsDigit(s[i])) {
        p.millisecond += (s[i++] - '0') * scale;
        scale /= 10;
      }
    }
  }
  return hour <= 24 && p.minute <= 59 && p.second <= 59;
}

bool Tokenize(std::string_view s, Parts& p) {
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == ' ' || c == ',' || c == '\t') {
      ++i;
    } else if (IsDigit(c)) {
      int64_t n = 0;
      int digits = 0;
      if (!ReadNumber(s, i, n, digits)) return false;
      if (i < s.size() && s[i] == ':') {
        if (!ReadTime(s, i, n, p)) return false;
        if (i < s.size() && IsAlpha(s[i])) return false;  // V8 rejects "2:30pm"
        continue;
      }
      if (i < s.size() && IsAlpha(s[i])) return false;  // V8 rejects "2:30pm", "7pm"
      if (p.numbers.size() >= 3) return false;
      p.numbers.push_back(n);
      if (i < s.size() && (s[i] == '/' || s[i] == '-' || s[i] == '.') && i + 1 < s.size() &&
          (IsDigit(s[i + 1]) || IsAlpha(s[i + 1]))) {
        ++i;
      }
    } else if (IsAlpha(c)) {
      std::string word;
      while (i < s.size() && (IsAlpha(s[i]) || s[i] == '.')) {
        if (s[i] != '.') word += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
        ++i;
      }
      if (word == "am" || word == "pm") {
        if (p.ampm >= 0 || p.hour < 0) return false;  // "7 pm" is no time to V8
        p.ampm = word == "pm" ? 1 : 0;
      } else if (word == "z" || word == "utc" || word == "gmt" || word == "ut") {
        if (p.offset_minutes) return false;
        p.offset_minutes = 0;
        if (i < s.size() && (s[i] == '+' || s[i] == '-') && !ReadOffset(s, i, p)) return false;
      } else if (int m = NameIndex(kMonths, word)) {
        if (p.named_month) return false;
        p.named_month = m;
        if (i < s.size() && (s[i] == '-' || s[i] == '/') && i + 1 < s.size() && IsDigit(s[i + 1])) {
          ++i;  // 22-Oct-2003
        }
      } else if (!NameIndex(kDays, word)) {
        return false;
      }
    } else if ((c == '+' || c == '-') && p.hour >= 0 && !p.offset_minutes) {
      if (!ReadOffset(s, i, p)) return false;
    } else if (c == '(') {
      // V8 skips parenthesised comments: "(Coordinated Universal Time)".
      size_t close = s.find(')', i);
      if (close == std::string_view::npos) return false;
      i = close + 1;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<int64_t> ParseDateText(std::string_view text) {
  if (auto iso = ParseIsoMillis(text)) return iso;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  // Text Moment takes for ISO 8601 (an ISO date, then only digits, T, Z and
  // punctuation) is Moment's to judge: 2024-02-30 is no date, not March 1.
  // Other text goes to V8, which rolls "2024-02-30 10:00 pm" over.
  if (text.size() >= 10 && IsDigit(text[0]) && IsDigit(text[1]) && IsDigit(text[2]) &&
      IsDigit(text[3]) && text[4] == '-' && IsDigit(text[5]) && IsDigit(text[6]) &&
      text[7] == '-' && IsDigit(text[8]) && IsDigit(text[9])) {
    bool iso_shaped = true;
    for (char c : text) {
      if (IsAlpha(c) && c != 'T' && c != 'Z') iso_shaped = false;
    }
    if (iso_shaped) return std::nullopt;
  }
  Parts p;
  if (!Tokenize(text, p)) return std::nullopt;
  int64_t year = 0, month = 0, day = 0;
  const std::vector<int64_t>& n = p.numbers;
  if (p.named_month && n.size() == 1 && n[0] > 31) {
    month = p.named_month;  // "March 2024": the first of the month
    year = n[0];
    day = 1;
  } else if (p.named_month) {
    if (n.size() != 2) return std::nullopt;
    month = p.named_month;
    bool first_is_day = n[0] >= 1 && n[0] <= 31;
    day = first_is_day ? n[0] : n[1];
    year = first_is_day ? n[1] : n[0];
  } else {
    if (n.size() != 3) return std::nullopt;
    bool year_first = !(n[0] >= 1 && n[0] <= 31);
    year = year_first ? n[0] : n[2];
    month = year_first ? n[1] : n[0];
    day = year_first ? n[2] : n[1];
  }
  if (year >= 0 && year <= 49) {
    year += 2000;
  } else if (year >= 50 && year <= 99) {
    year += 1900;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  int hour = p.hour < 0 ? 0 : p.hour;
  if (p.ampm >= 0) {
    if (p.hour < 0 || hour > 12) return std::nullopt;
    hour = hour % 12 + (p.ampm == 1 ? 12 : 0);
  } else if (hour == 24 && (p.minute || p.second || p.millisecond)) {
    return std::nullopt;
  }
  int64_t days = DaysFromCivil(year, static_cast<int>(month), 1) + day - 1;
  int64_t millis =
      days * kMillisPerDay + ((hour * 60LL + p.minute) * 60 + p.second) * 1000 + p.millisecond;
  return millis - p.offset_minutes.value_or(0) * 60'000LL;
}

std::optional<std::vector<int64_t>> ParseDateTextList(std::string_view text) {
  std::vector<int64_t> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view part = text.substr(pos, comma - pos);
    if (part.find_first_not_of(' ') != std::string_view::npos) {
      std::optional<int64_t> millis = ParseDateText(part);
      if (!millis) return std::nullopt;
      out.push_back(*millis);
    }
    pos = comma + 1;
  }
  return out;
}

}  // namespace airpg::formula
