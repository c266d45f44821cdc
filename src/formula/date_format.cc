// Moment-style formatting and parsing over CivilTime.
#include "formula/date_format.h"

#include <fmt/format.h>
#include <array>

#include "formula/civil_time.h"

namespace airpg::formula {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> kDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                   "Thursday", "Friday", "Saturday"};

constexpr std::array<std::string_view, 7> kMinDays = {"Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"};

// Longest first so "MMMM" wins over "MM" (Moment's own regex picks the same).
constexpr std::array<std::string_view, 81> kTokens = {
    "SSSSSSSSS", "SSSSSSSS", "SSSSSSS", "YYYYYY", "SSSSSS", "YYYYY", "GGGGG", "ggggg", "NNNNN",
    "SSSSS",     "YYYY",     "MMMM",    "DDDD",   "dddd",   "DDDo",  "GGGG",  "gggg",  "yyyy",
    "NNNN",      "SSSS",     "MMM",     "DDD",    "ddd",    "SSS",   "yyy",   "NNN",   "YY",
    "MM",        "DD",       "Do",      "Mo",     "Qo",     "dd",    "do",    "wo",    "ww",
    "Wo",        "WW",       "HH",      "hh",     "kk",     "mm",    "ss",    "SS",    "ZZ",
    "zz",        "GG",       "gg",      "yy",     "yo",     "NN",    "M",     "D",     "d",
    "e",         "E",        "w",       "W",      "Y",      "y",     "Q",     "H",     "h",
    "k",         "m",        "s",       "S",      "A",      "a",     "Z",     "z",     "X",
    "x",         "N",        "",        "",       "",       "",      "",      "",      ""};

std::string_view MatchToken(std::string_view f, size_t i) {
  for (std::string_view t : kTokens) {
    if (!t.empty() && f.substr(i, t.size()) == t) return t;
  }
  return {};
}

// Moment's English long date formats (locale "en").
constexpr std::pair<std::string_view, std::string_view> kLocalized[] = {
    {"LTS", "h:mm:ss A"},
    {"LT", "h:mm A"},
    {"LLLL", "dddd, MMMM D, YYYY h:mm A"},
    {"LLL", "MMMM D, YYYY h:mm A"},
    {"LL", "MMMM D, YYYY"},
    {"L", "MM/DD/YYYY"},
    {"llll", "ddd, MMM D, YYYY h:mm A"},
    {"lll", "MMM D, YYYY h:mm A"},
    {"ll", "MMM D, YYYY"},
    {"l", "M/D/YYYY"},
};

// The end of a `[literal]` that starts at f[i], or npos (Moment: "[" then
// anything but "[" up to the first "]").
size_t BracketEnd(std::string_view f, size_t i) {
  for (size_t k = i + 1; k < f.size(); ++k) {
    if (f[k] == '[') return std::string_view::npos;
    if (f[k] == ']') return k;
  }
  return std::string_view::npos;
}

std::string ExpandLocalized(std::string_view f) {
  std::string out;
  for (size_t i = 0; i < f.size();) {
    if (f[i] == '[') {
      size_t close = BracketEnd(f, i);
      if (close != std::string_view::npos) {
        out += f.substr(i, close + 1 - i);
        i = close + 1;
        continue;
      }
    }
    if (f[i] == '\\' && i + 1 < f.size()) {
      out += f.substr(i, 2);
      i += 2;
      continue;
    }
    bool expanded = false;
    for (const auto& [token, format] : kLocalized) {
      if (f.substr(i, token.size()) == token) {
        out += format;
        i += token.size();
        expanded = true;
        break;
      }
    }
    if (!expanded) out += f[i++];
  }
  return out;
}

std::string Pad(int64_t n, int width) {
  return n < 0 ? fmt::format("-{:0{}}", -n, width) : fmt::format("{:0{}}", n, width);
}

}  // namespace

std::vector<MomentPiece> SplitMomentFormat(std::string_view format) {
  std::string f = ExpandLocalized(format);
  std::vector<MomentPiece> out;
  auto literal = [&](std::string_view text) {
    if (out.empty() || !out.back().literal) out.push_back({true, ""});
    out.back().text += text;
  };
  for (size_t i = 0; i < f.size();) {
    if (f[i] == '[') {
      size_t close = BracketEnd(f, i);
      if (close != std::string_view::npos) {
        literal(std::string_view(f).substr(i + 1, close - i - 1));
        i = close + 1;
        continue;
      }
    }
    if (f[i] == '\\') {
      // A backslash makes the token (or character) after it literal.
      std::string_view t = MatchToken(f, i + 1);
      size_t len = t.empty() ? (i + 1 < f.size() ? 1 : 0) : t.size();
      std::string text(std::string_view(f).substr(i + 1, len));
      std::erase(text, '\\');
      literal(text);
      i += 1 + len;
      continue;
    }
    std::string_view t = MatchToken(f, i);
    if (t.empty()) {
      literal(std::string_view(f).substr(i++, 1));
      continue;
    }
    out.push_back({false, std::string(t)});
    i += t.size();
  }
  return out;
}

std::string Ordinal(int64_t n) {
  int64_t mod100 = n % 100, mod10 = n % 10;
  const char* suffix = (mod100 >= 10 && mod100 <= 19) ? "th"
                       : mod10 == 1                   ? "st"
                       : mod10 == 2                   ? "nd"
                       : mod10 == 3                   ? "rd"
                                                      : "th";
  return fmt::format("{}{}", n, suffix);
}

namespace {

// The Thursday of the ISO week holding `days`, and the Saturday ending the
// locale week: each week belongs to that day's year.
int64_t IsoThursday(int64_t days) { return days - (WeekdayFromDays(days) + 6) % 7 + 3; }
int64_t LocaleSaturday(int64_t days) { return days + (6 - WeekdayFromDays(days)); }

}  // namespace

int IsoWeek(int64_t days) {
  int64_t thursday = IsoThursday(days);
  CivilTime t = CivilFromMillis(thursday * kMillisPerDay);
  return static_cast<int>((thursday - DaysFromCivil(t.year, 1, 1)) / 7 + 1);
}
int64_t IsoWeekYear(int64_t days) {
  return CivilFromMillis(IsoThursday(days) * kMillisPerDay).year;
}

int LocaleWeek(int64_t days) {
  int64_t saturday = LocaleSaturday(days);
  CivilTime t = CivilFromMillis(saturday * kMillisPerDay);
  return static_cast<int>((saturday - DaysFromCivil(t.year, 1, 1)) / 7 + 1);
}
int64_t LocaleWeekYear(int64_t days) {
  return CivilFromMillis(LocaleSaturday(days) * kMillisPerDay).year;
}

std::optional<ZoneNames> FixedZoneNames(std::string_view zone) {
  if (zone == "UTC" || zone == "Etc/UTC") return ZoneNames{"UTC", "UTC"};
  if (zone == "GMT" || zone == "Etc/GMT") return ZoneNames{"GMT", "GMT"};
  if (zone.empty() || zone[0] == '+' || zone[0] == '-' || zone == "Z") return ZoneNames{};
  return std::nullopt;
}

std::string FormatMoment(int64_t utc_millis, int offset_seconds, std::string_view f,
                         const ZoneNames& names) {
  int64_t local = utc_millis + offset_seconds * 1000LL;
  CivilTime c = CivilFromMillis(local);
  int64_t days = FloorDays(local);
  int weekday = WeekdayFromDays(days);
  int hour12 = c.hour % 12 == 0 ? 12 : c.hour % 12;
  int off_min = offset_seconds / 60;
  std::string zone = fmt::format("{}{:02}:{:02}", off_min < 0 ? '-' : '+', std::abs(off_min) / 60,
                                 std::abs(off_min) % 60);
  bool ad = c.year >= 1;
  int64_t era_year = ad ? c.year : 1 - c.year;
  int64_t doy = days - DaysFromCivil(c.year, 1, 1) + 1;
  std::string out;
  for (const MomentPiece& piece : SplitMomentFormat(f)) {
    std::string_view t = piece.text;
    if (piece.literal)
      out += t;
    else if (t == "YYYY")
      out += Pad(c.year, 4);
    else if (t == "YY")
      out += fmt::format("{:02}", ((c.year % 100) + 100) % 100);
    else if (t == "Y")
      out += c.year <= 9999 ? Pad(c.year, 4) : fmt::format("+{}", c.year);
    else if (t == "YYYYY")
      out += Pad(c.year, 5);
    else if (t == "YYYYYY")
      out += (c.year < 0 ? "-" : "+") + fmt::format("{:06}", std::abs(c.year));
    else if (t == "y" || t == "yyy")
      out += fmt::format("{}", era_year);
    else if (t == "yo")
      out += Ordinal(era_year);
    else if (t == "yy")
      out += fmt::format("{:02}", era_year);  // Moment: the era year, at least 2 digits
    else if (t == "yyyy")
      out += fmt::format("{:04}", era_year);
    else if (t == "N" || t == "NN" || t == "NNN" || t == "NNNNN")
      out += ad ? "AD" : "BC";
    else if (t == "NNNN")
      out += ad ? "Anno Domini" : "Before Christ";
    else if (t == "gg")
      out += fmt::format("{:02}", ((LocaleWeekYear(days) % 100) + 100) % 100);
    else if (t == "gggg")
      out += Pad(LocaleWeekYear(days), 4);
    else if (t == "ggggg")
      out += Pad(LocaleWeekYear(days), 5);
    else if (t == "GG")
      out += fmt::format("{:02}", ((IsoWeekYear(days) % 100) + 100) % 100);
    else if (t == "GGGG")
      out += Pad(IsoWeekYear(days), 4);
    else if (t == "GGGGG")
      out += Pad(IsoWeekYear(days), 5);
    else if (t == "Q")
      out += fmt::format("{}", (c.month - 1) / 3 + 1);
    else if (t == "Qo")
      out += Ordinal((c.month - 1) / 3 + 1);
    else if (t == "M")
      out += fmt::format("{}", c.month);
    else if (t == "Mo")
      out += Ordinal(c.month);
    else if (t == "MM")
      out += fmt::format("{:02}", c.month);
    else if (t == "MMM")
      out += kMonths[c.month - 1].substr(0, 3);
    else if (t == "MMMM")
      out += kMonths[c.month - 1];
    else if (t == "D")
      out += fmt::format("{}", c.day);
    else if (t == "DD")
      out += fmt::format("{:02}", c.day);
    else if (t == "Do")
      out += Ordinal(c.day);
    else if (t == "DDD")
      out += fmt::format("{}", doy);
    else if (t == "DDDo")
      out += Ordinal(doy);
    else if (t == "DDDD")
      out += fmt::format("{:03}", doy);
    else if (t == "d" || t == "e")
      out += fmt::format("{}", weekday);
    else if (t == "do")
      out += Ordinal(weekday);
    else if (t == "E")
      out += fmt::format("{}", weekday == 0 ? 7 : weekday);
    else if (t == "dd")
      out += kMinDays[weekday];
    else if (t == "ddd")
      out += kDays[weekday].substr(0, 3);
    else if (t == "dddd")
      out += kDays[weekday];
    else if (t == "H")
      out += fmt::format("{}", c.hour);
    else if (t == "HH")
      out += fmt::format("{:02}", c.hour);
    else if (t == "h")
      out += fmt::format("{}", hour12);
    else if (t == "hh")
      out += fmt::format("{:02}", hour12);
    else if (t == "k")
      out += fmt::format("{}", c.hour == 0 ? 24 : c.hour);
    else if (t == "kk")
      out += fmt::format("{:02}", c.hour == 0 ? 24 : c.hour);
    else if (t == "m")
      out += fmt::format("{}", c.minute);
    else if (t == "mm")
      out += fmt::format("{:02}", c.minute);
    else if (t == "s")
      out += fmt::format("{}", c.second);
    else if (t == "ss")
      out += fmt::format("{:02}", c.second);
    else if (t == "S")
      out += fmt::format("{}", c.millisecond / 100);
    else if (t == "SS")
      out += fmt::format("{:02}", c.millisecond / 10);
    else if (t[0] == 'S')  // SSS and longer: milliseconds, then zeros
      out += fmt::format("{:03}", c.millisecond) + std::string(t.size() - 3, '0');
    else if (t == "A")
      out += c.hour < 12 ? "AM" : "PM";
    else if (t == "a")
      out += c.hour < 12 ? "am" : "pm";
    else if (t == "Z")
      out += zone;
    else if (t == "ZZ")
      out += zone.substr(0, 3) + zone.substr(4);
    else if (t == "z")
      out += names.z;
    else if (t == "zz")
      out += names.zz;
    else if (t == "X")
      out += fmt::format("{}", (utc_millis - ((utc_millis % 1000) + 1000) % 1000) / 1000);
    else if (t == "x")
      out += fmt::format("{}", utc_millis);
    else if (t == "W")
      out += fmt::format("{}", IsoWeek(days));
    else if (t == "Wo")
      out += Ordinal(IsoWeek(days));
    else if (t == "WW")
      out += fmt::format("{:02}", IsoWeek(days));
    else if (t == "w")
      out += fmt::format("{}", LocaleWeek(days));
    else if (t == "wo")
      out += Ordinal(LocaleWeek(days));
    else if (t == "ww")
      out += fmt::format("{:02}", LocaleWeek(days));
  }
  return out;
}

namespace {

bool ReadNumber(std::string_view s, size_t& i, int min_digits, int max_digits, int64_t& out) {
  size_t start = i;
  out = 0;
  while (i < s.size() && i - start < static_cast<size_t>(max_digits) && s[i] >= '0' &&
         s[i] <= '9') {
    out = out * 10 + (s[i++] - '0');
  }
  return i - start >= static_cast<size_t>(min_digits);
}

bool ReadName(std::string_view s, size_t& i, bool full, int& month) {
  for (int m = 0; m < 12; ++m) {
    std::string_view name = full ? kMonths[m] : kMonths[m].substr(0, 3);
    if (s.size() - i >= name.size()) {
      bool same = true;
      for (size_t k = 0; k < name.size(); ++k) {
        if (std::tolower(static_cast<unsigned char>(s[i + k])) !=
            std::tolower(static_cast<unsigned char>(name[k]))) {
          same = false;
        }
      }
      if (same) {
        i += name.size();
        month = m + 1;
        return true;
      }
    }
  }
  return false;
}

}  // namespace

std::optional<int64_t> ParseMoment(std::string_view s, std::string_view f) {
  CivilTime c;
  bool pm = false, has_ampm = false;
  size_t i = 0;
  for (size_t j = 0; j < f.size();) {
    if (f[j] == '[') {
      size_t close = f.find(']', j);
      if (close == std::string_view::npos) close = f.size();
      std::string_view lit = f.substr(j + 1, close - j - 1);
      if (s.substr(i, lit.size()) != lit) return std::nullopt;
      i += lit.size();
      j = close + 1;
      continue;
    }
    std::string_view t = MatchToken(f, j);
    if (t.empty()) {
      if (i >= s.size() || s[i] != f[j]) return std::nullopt;
      ++i;
      ++j;
      continue;
    }
    j += t.size();
    int64_t n = 0;
    if (t == "YYYY") {
      if (!ReadNumber(s, i, 4, 4, n)) return std::nullopt;
      c.year = n;
    } else if (t == "YY") {
      if (!ReadNumber(s, i, 2, 2, n)) return std::nullopt;
      c.year = n < 69 ? 2000 + n : 1900 + n;
    } else if (t == "M" || t == "MM") {
      if (!ReadNumber(s, i, t.size(), 2, n)) return std::nullopt;
      c.month = static_cast<int>(n);
    } else if (t == "MMM" || t == "MMMM") {
      if (!ReadName(s, i, t == "MMMM", c.month)) return std::nullopt;
    } else if (t == "D" || t == "DD" || t == "Do") {
      if (!ReadNumber(s, i, t == "DD" ? 2 : 1, 2, n)) return std::nullopt;
      c.day = static_cast<int>(n);
      if (t == "Do") {
        if (s.size() - i < 2) return std::nullopt;
        i += 2;
      }
    } else if (t == "H" || t == "HH" || t == "h" || t == "hh") {
      if (!ReadNumber(s, i, t.size(), 2, n)) return std::nullopt;
      c.hour = static_cast<int>(n);
    } else if (t == "m" || t == "mm") {
      if (!ReadNumber(s, i, t.size(), 2, n)) return std::nullopt;
      c.minute = static_cast<int>(n);
    } else if (t == "s" || t == "ss") {
      if (!ReadNumber(s, i, t.size(), 2, n)) return std::nullopt;
      c.second = static_cast<int>(n);
    } else if (t == "S" || t == "SS" || t == "SSS") {
      size_t start = i;
      if (!ReadNumber(s, i, 1, 3, n)) return std::nullopt;
      for (size_t k = i - start; k < 3; ++k) n *= 10;
      c.millisecond = static_cast<int>(n);
    } else if (t == "A" || t == "a") {
      if (s.size() - i < 2) return std::nullopt;
      char first = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
      if (first != 'a' && first != 'p') return std::nullopt;
      pm = first == 'p';
      has_ampm = true;
      i += 2;
    } else if (t == "X" || t == "x") {
      if (!ReadNumber(s, i, 1, 15, n)) return std::nullopt;
      return t == "X" ? n * 1000 : n;
    } else {
      return std::nullopt;
    }
  }
  if (i != s.size()) return std::nullopt;
  if (has_ampm) {
    if (c.hour < 1 || c.hour > 12) return std::nullopt;
    c.hour = c.hour % 12 + (pm ? 12 : 0);
  }
  if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > DaysInMonth(c.year, c.month) ||
      c.hour > 23 || c.minute > 59 || c.second > 59) {
    return std::nullopt;
  }
  return MillisFromCivil(c);
}

}  // namespace airpg::formula
