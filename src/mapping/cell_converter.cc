#include "mapping/cell_converter.h"

#include <cstdint>
#include <limits>

#include <fmt/core.h>

#include "base/json_escape.h"
#include "mapping/decimal_text.h"
#include "mapping/time_zone.h"
#include "mapping/type_rules.h"

namespace airpg::mapping {
namespace {

using Kind = JsonNode::Kind;
// Wide enough for int64 bounds checks and any interval in microseconds.
__extension__ using Int128 = __int128;

Status Why(std::string why) { return InvalidArgumentError(std::move(why)); }

std::string Shown(const JsonNode& value) {
  std::string text = WriteJson(value);
  if (text.size() > 200) text = text.substr(0, 200) + "…";
  return text;
}

// Postgres text and jsonb cannot hold U+0000 (JSON's "\u0000").
bool HasNul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

// A number jsonb cannot hold (it stores numeric): one would fail the COPY.
const JsonNode* NumberBeyondNumeric(const JsonNode& node) {
  if (node.kind == Kind::kNumber) return FitsNumeric(ParseDecimal(node.text)) ? nullptr : &node;
  for (const auto& item : node.items) {
    if (const JsonNode* bad = NumberBeyondNumeric(item)) return bad;
  }
  for (const JsonMember& member : node.members) {
    if (const JsonNode* bad = NumberBeyondNumeric(member.value)) return bad;
  }
  return nullptr;
}

bool TreeHasNul(const JsonNode& node) {
  if (HasNul(node.text)) return true;
  for (const auto& item : node.items) {
    if (TreeHasNul(item)) return true;
  }
  for (const JsonMember& member : node.members) {
    if (HasNul(member.key) || TreeHasNul(member.value)) return true;
  }
  return false;
}

std::string Quoted(std::string_view text) { return "\"" + JsonEscape(text) + "\""; }
std::string Same(std::string_view text) { return std::string(text); }

// --- text ---
Result<std::string> TextToPg(const ColumnPlan&, const JsonNode& v) {
  if (v.kind != Kind::kString) return Why(fmt::format("{} is not text", Shown(v)));
  if (HasNul(v.text)) {
    return Why(
        fmt::format("{} contains a NUL character, which Postgres text cannot hold", Shown(v)));
  }
  return v.text;
}
Result<std::string> TextToCell(const ColumnPlan&, std::string_view text) { return Quoted(text); }

// --- numbers ---
// Postgres numeric holds 131072 digits before the point and 16383 after:
// every double (5e-324 … 1.8e308) with room to spare.
Result<std::string> NumberToPg(const ColumnPlan&, const JsonNode& v) {
  if (v.kind != Kind::kNumber) return Why(fmt::format("{} is not a number", Shown(v)));
  if (!FitsNumeric(ParseDecimal(v.text))) {
    return Why(fmt::format("{} is beyond the range of Postgres numeric", v.text));
  }
  // The token itself: numeric reads "1e-300" and "0.29999999999999877" exactly.
  return v.text;
}
Result<std::string> NumberToCell(const ColumnPlan&, std::string_view text) {
  return CanonicalNumber(text);
}
std::string NumberCanonical(std::string_view text) { return CanonicalNumber(text); }

// --- integers (rating, count, autoNumber): bounds come with the plan ---
Result<std::string> IntegerToPg(const ColumnPlan& plan, const JsonNode& v) {
  if (v.kind != Kind::kNumber) return Why(fmt::format("{} is not a whole number", Shown(v)));
  Decimal d = ParseDecimal(v.text);
  if (d.FractionDigits() > 0) return Why(fmt::format("{} is not a whole number", v.text));
  int64_t low = plan.min_value.value_or(std::numeric_limits<int64_t>::min());
  int64_t high = plan.max_value.value_or(std::numeric_limits<int64_t>::max());
  // At most 19 digits (int64's) are worth reading; 10^19 fits 128 bits.
  Int128 n = 0;
  bool fits = d.IntegerDigits() <= 19;
  for (int64_t i = 0; fits && i < d.point; ++i) {
    n = n * 10 + (i < static_cast<int64_t>(d.digits.size()) ? d.digits[i] - '0' : 0);
  }
  if (d.negative) n = -n;
  if (!fits || n < low || n > high) {
    return Why(fmt::format("{} is outside {}..{}", CanonicalNumber(v.text), low, high));
  }
  return std::to_string(static_cast<int64_t>(n));
}

// --- durations ---
// Seconds as interval input: exact to the microsecond and within interval's
// range (its time part is int64 microseconds: about ±9.2e12 s).
Result<std::string> DurationToPg(const ColumnPlan&, const JsonNode& v) {
  if (v.kind != Kind::kNumber) return Why(fmt::format("{} is not a duration", Shown(v)));
  Decimal d = ParseDecimal(v.text);
  if (d.FractionDigits() > 6) {
    return Why(fmt::format("{} has more decimals than microseconds (not rounded)", v.text));
  }
  if (d.IntegerDigits() > 13 ||
      (d.IntegerDigits() == 13 && d.digits.substr(0, 13) > std::string("9223372036853"))) {
    return Why(fmt::format("{} seconds is out of range for an interval", v.text));
  }
  std::string plain = d.negative ? "-" : "";
  if (d.digits.empty()) return std::string("0 seconds");
  if (d.point <= 0) {
    plain += "0." + std::string(static_cast<size_t>(-d.point), '0') + d.digits;
  } else if (d.point >= static_cast<int64_t>(d.digits.size())) {
    plain += d.digits + std::string(static_cast<size_t>(d.point) - d.digits.size(), '0');
  } else {
    plain += d.digits.substr(0, static_cast<size_t>(d.point)) + "." +
             d.digits.substr(static_cast<size_t>(d.point));
  }
  return plain + " seconds";
}
// "PT1H2M3.5S", "P1DT2H", "-PT5S" (IntervalStyle iso_8601) → seconds.
Result<std::string> DurationToCell(const ColumnPlan&, std::string_view text) {
  bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty() || text[0] != 'P') return Why("not an ISO interval");
  // Whole microseconds, so no double rounds the fraction.
  Int128 micros = 0;
  bool time = false;
  std::string number;
  for (char c : text.substr(1)) {
    if (c == 'T') {
      time = true;
    } else if ((c >= '0' && c <= '9') || c == '.' || c == '-') {
      number += c;
    } else {
      bool minus = !number.empty() && number[0] == '-';
      Decimal d = ParseDecimal(number);
      number.clear();
      Int128 whole = 0, frac = 0;
      for (int64_t i = 0; i < d.point && i < 20; ++i) {
        whole = whole * 10 + (i < static_cast<int64_t>(d.digits.size()) ? d.digits[i] - '0' : 0);
      }
      for (int64_t i = d.point; i < d.point + 6; ++i) {
        int digit = i >= 0 && i < static_cast<int64_t>(d.digits.size()) ? d.digits[i] - '0' : 0;
        frac = frac * 10 + digit;
      }
      Int128 unit;
      if (!time && c == 'D')
        unit = 86400;
      else if (time && c == 'H')
        unit = 3600;
      else if (time && c == 'M')
        unit = 60;
      else if (time && c == 'S')
        unit = 1;
      else
        return Why("interval with years or months has no fixed length");
      Int128 part = (whole * 1000000 + frac) * unit;
      micros += minus ? -part : part;
    }
  }
  if (negative) micros = -micros;
  bool minus = micros < 0;
  if (minus) micros = -micros;
  std::string digits = std::to_string(static_cast<uint64_t>(micros / 1000000));
  int64_t frac = static_cast<int64_t>(micros % 1000000);
  std::string out = (minus ? "-" : "") + digits;
  if (frac != 0) out += fmt::format(".{:06d}", frac);
  return CanonicalNumber(out);
}
std::string DurationCanonical(std::string_view text) {
  size_t space = text.find(' ');  // "<seconds> seconds", as DurationToPg writes it
  if (space == std::string_view::npos) return std::string(text);
  return CanonicalNumber(text.substr(0, space)) + std::string(text.substr(space));
}

// --- booleans ---
Result<std::string> BooleanToPg(const ColumnPlan&, const JsonNode& v) {
  if (v.kind != Kind::kBool) return Why(fmt::format("{} is not true or false", Shown(v)));
  return std::string(v.boolean ? "true" : "false");
}
Result<std::string> BooleanToCell(const ColumnPlan&, std::string_view text) {
  return std::string(text == "t" || text == "true" ? "true" : "false");
}
std::string BooleanCanonical(std::string_view text) {
  return text == "t" || text == "true" ? "true" : "false";
}

// --- dates and instants ---
int Digits(std::string_view s) {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}
bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}
// YYYY-MM-DD naming a day of years 1..9999 (Postgres refuses year 0 and
// February 30th, and reads "epoch" or "today" as dates of its own).
bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!AllDigits(s.substr(0, 4)) || !AllDigits(s.substr(5, 2)) || !AllDigits(s.substr(8, 2))) {
    return false;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int year = Digits(s.substr(0, 4)), month = Digits(s.substr(5, 2)), day = Digits(s.substr(8, 2));
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 &&
         day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}
// YYYY-MM-DDTHH:MM:SS[.f]Z with at most 6 fractional digits: an instant in
// UTC that timestamptz keeps exactly (it would roll 24:00 or :60 over and
// round a seventh digit, and verify would find the value changed).
bool IsInstant(std::string_view s) {
  if (s.size() < 20 || !IsDate(s.substr(0, 10)) || s[10] != 'T' || s.back() != 'Z') return false;
  std::string_view t = s.substr(11, s.size() - 12);
  if (t.size() < 8 || t[2] != ':' || t[5] != ':' || !AllDigits(t.substr(0, 2)) ||
      !AllDigits(t.substr(3, 2)) || !AllDigits(t.substr(6, 2))) {
    return false;
  }
  if (Digits(t.substr(0, 2)) > 23 || Digits(t.substr(3, 2)) > 59 || Digits(t.substr(6, 2)) > 59) {
    return false;
  }
  if (t.size() == 8) return true;
  return t[8] == '.' && t.size() <= 15 && AllDigits(t.substr(9));
}

Result<std::string> DateToPg(const ColumnPlan& plan, const JsonNode& v) {
  if (v.kind != Kind::kString) return Why(fmt::format("{} is not a date", Shown(v)));
  if (IsDate(v.text)) return v.text;
  // createdTime, lastModifiedTime and formulas with a date result may come
  // as a full instant (API.md §5.3, UNCONFIRMED): the day it is in the
  // field's time zone, which is what Airtable shows.
  if (plan.read_only && IsInstant(v.text)) {
    Result<std::string> day = DateInZone(v.text, plan.time_zone);
    if (day.ok()) return day;
    return Why(fmt::format("{}: {}", Shown(v), day.status().message()));
  }
  return Why(fmt::format("{} is not an ISO date", Shown(v)));
}

Result<std::string> InstantToPg(const ColumnPlan&, const JsonNode& v) {
  if (v.kind != Kind::kString) return Why(fmt::format("{} is not a date", Shown(v)));
  if (!IsInstant(v.text)) return Why(fmt::format("{} is not an ISO timestamptz", Shown(v)));
  return v.text;
}
// "2022-09-05 07:00:00.123+00" → "2022-09-05T07:00:00.123Z" (milliseconds, UTC).
Result<std::string> InstantToCell(const ColumnPlan&, std::string_view text) {
  if (text.size() < 22 || text.substr(text.size() - 3) != "+00") {
    return Why("timestamptz not printed in UTC (set TimeZone to UTC)");
  }
  std::string_view date = text.substr(0, 10), clock = text.substr(11, 8);
  std::string_view fraction = text.substr(19, text.size() - 3 - 19);  // ".123456" or ""
  std::string millis = fraction.empty() ? "000" : std::string(fraction.substr(1));
  millis = (millis + "000").substr(0, 3);
  return Quoted(fmt::format("{}T{}.{}Z", date, clock, millis));
}
// "…:SS.fffZ" with 3 to 6 fraction digits: ".000Z", ".0Z" and "Z" agree.
std::string InstantCanonical(std::string_view text) {
  if (text.size() < 20 || (text[19] != '.' && text[19] != 'Z')) return std::string(text);
  std::string digits(text.substr(19, text.size() - 20));
  if (!digits.empty() && digits[0] == '.') digits.erase(0, 1);
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  if (digits.size() < 3) digits.resize(3, '0');
  return std::string(text.substr(0, 19)) + "." + digits + "Z";
}

// --- jsonb ---
Result<std::string> JsonToPg(const ColumnPlan& plan, const JsonNode& v) {
  if (TreeHasNul(v)) {
    return Why(fmt::format("{} holds a NUL character, which Postgres jsonb cannot hold", Shown(v)));
  }
  if (const JsonNode* bad = NumberBeyondNumeric(v)) {
    return Why(fmt::format("{} is beyond the range of Postgres numeric (jsonb)", bad->text));
  }
  if (!plan.required_key.empty() &&
      (v.kind != Kind::kObject || v.Find(plan.required_key) == nullptr)) {
    return Why(fmt::format("{} is not an object with \"{}\"", Shown(v), plan.required_key));
  }
  // Canonical, numbers exact: what jsonb keeps (sorted keys, last duplicate).
  return CanonicalJson(v);
}
Result<std::string> JsonToCell(const ColumnPlan&, std::string_view text) {
  AIRPG_ASSIGN_OR_RETURN(JsonNode node, ParseCellJson(text));
  return CanonicalJson(node);
}

}  // namespace

const CellConverter& TextConverter() {
  static const CellConverter c{CellKind::kText, "text", TextToPg, TextToCell, Same};
  return c;
}
const CellConverter& NumberConverter() {
  static const CellConverter c{CellKind::kNumber, "number", NumberToPg, NumberToCell,
                               NumberCanonical};
  return c;
}
const CellConverter& IntegerConverter() {
  static const CellConverter c{CellKind::kInteger, "integer", IntegerToPg, NumberToCell, Same};
  return c;
}
const CellConverter& DurationConverter() {
  static const CellConverter c{CellKind::kDuration, "duration", DurationToPg, DurationToCell,
                               DurationCanonical};
  return c;
}
const CellConverter& BooleanConverter() {
  static const CellConverter c{CellKind::kBoolean, "boolean", BooleanToPg, BooleanToCell,
                               BooleanCanonical};
  return c;
}
const CellConverter& DateConverter() {
  static const CellConverter c{CellKind::kDate, "date", DateToPg, TextToCell, Same};
  return c;
}
const CellConverter& InstantConverter() {
  static const CellConverter c{CellKind::kInstant, "instant", InstantToPg, InstantToCell,
                               InstantCanonical};
  return c;
}
const CellConverter& JsonConverter() {
  static const CellConverter c{CellKind::kJson, "json", JsonToPg, JsonToCell, Same};
  return c;
}

}  // namespace airpg::mapping
