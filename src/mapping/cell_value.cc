#include "mapping/cell_value.h"

#include <simdjson.h>

#include <cctype>
#include <limits>
#include <utility>

#include <fmt/core.h>

#include "base/json_escape.h"

namespace airpg::mapping {
namespace {

using simdjson::dom::element;

Status Reject(const airtable::Field& field, std::string_view why) {
  return InvalidArgumentError(fmt::format("field \"{}\": {}", field.name, why));
}

// The scale of "numeric(38,S)", or -1 for other types.
int NumericScale(std::string_view sql_type) {
  if (sql_type.rfind("numeric(", 0) != 0) return -1;
  size_t comma = sql_type.find(',');
  return comma == std::string_view::npos
             ? -1
             : std::atoi(std::string(sql_type.substr(comma + 1)).c_str());
}

// A JSON number's text in plain decimal form ("1.5e-3" → "0.0015").
std::string PlainDecimal(std::string_view number) {
  size_t e = number.find_first_of("eE");
  std::string mantissa(number.substr(0, e));
  bool negative = !mantissa.empty() && mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  if (e == std::string_view::npos) return (negative ? "-" : "") + mantissa;
  int exponent = std::atoi(std::string(number.substr(e + 1)).c_str());
  size_t dot = mantissa.find('.');
  std::string digits = mantissa;
  int point = static_cast<int>(dot == std::string::npos ? mantissa.size() : dot);
  if (dot != std::string::npos) digits.erase(dot, 1);
  point += exponent;
  if (point <= 0) {
    digits = "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  } else if (point >= static_cast<int>(digits.size())) {
    digits += std::string(static_cast<size_t>(point) - digits.size(), '0');
  } else {
    digits.insert(static_cast<size_t>(point), ".");
  }
  return (negative ? "-" : "") + digits;
}

// Numeric text without trailing fractional zeros ("12.50" → "12.5", "3.00" → "3").
std::string TrimZeros(std::string text) {
  if (text.find('.') == std::string::npos) return text;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return text;
}

Result<std::string> Number(const airtable::Field& field, element value, int scale,
                           std::string_view raw) {
  if (value.is_object()) {
    // A formula that did not compute: {"error":"#ERROR!"} or {"specialValue":"NaN"}.
    return Reject(field, fmt::format("formula value {} is not a number", raw));
  }
  if (!value.is_number()) return Reject(field, fmt::format("{} is not a number", raw));
  std::string plain = TrimZeros(PlainDecimal(raw));
  size_t dot = plain.find('.');
  int decimals = dot == std::string::npos ? 0 : static_cast<int>(plain.size() - dot - 1);
  if (decimals > scale) {
    return Reject(
        field, fmt::format("{} has more decimals than the field's {} (not rounded)", plain, scale));
  }
  size_t int_digits = (dot == std::string::npos ? plain.size() : dot) - (plain[0] == '-' ? 1 : 0);
  if (static_cast<int>(int_digits) > 38 - scale) {
    return Reject(field, fmt::format("{} is out of range for numeric(38,{})", plain, scale));
  }
  return plain;
}

int Digits(std::string_view s) {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

// YYYY-MM-DD naming a day of years 1..9999 (Postgres refuses year 0 and
// February 30th; a refused value would fail the whole page's COPY).
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

// Postgres text and jsonb cannot hold U+0000 (JSON's "\u0000").
bool HasNul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

bool JsonHasNul(element value) {
  switch (value.type()) {
    case simdjson::dom::element_type::STRING:
      return HasNul(value.get_string().value_unsafe());
    case simdjson::dom::element_type::ARRAY: {
      // Named, not iterated as a temporary (GCC 12 -O3 warns on the latter).
      simdjson::dom::array items = value.get_array().value_unsafe();
      for (element item : items) {
        if (JsonHasNul(item)) return true;
      }
      return false;
    }
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object members = value.get_object().value_unsafe();
      for (auto member : members) {
        if (HasNul(member.key) || JsonHasNul(member.value)) return true;
      }
      return false;
    }
    default:
      return false;
  }
}

// The range of a Postgres integer type.
std::pair<int64_t, int64_t> IntegerRange(std::string_view sql_type) {
  if (sql_type == "smallint") return {-32768, 32767};
  if (sql_type == "integer") return {-2147483648LL, 2147483647LL};
  return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
}

// Seconds as interval input: exact to the microsecond and within interval's
// range (its time part is int64 microseconds: about ±9.2e12 s).
Result<std::string> IntervalSeconds(const airtable::Field& field, std::string_view raw) {
  std::string plain = TrimZeros(PlainDecimal(raw));
  size_t dot = plain.find('.');
  size_t decimals = dot == std::string::npos ? 0 : plain.size() - dot - 1;
  if (decimals > 6) {
    return Reject(field,
                  fmt::format("{} has more decimals than microseconds (not rounded)", plain));
  }
  std::string_view whole = std::string_view(plain).substr(0, dot);
  if (!whole.empty() && whole[0] == '-') whole.remove_prefix(1);
  constexpr std::string_view kMax = "9223372036853";
  if (whole.size() > kMax.size() || (whole.size() == kMax.size() && whole > kMax)) {
    return Reject(field, fmt::format("{} seconds is out of range for an interval", plain));
  }
  return plain + " seconds";
}

Result<PgValue> Scalar(const airtable::Field& field, const ColumnPlan& plan,
                       std::string_view sql_type, element value, std::string_view raw) {
  std::string_view text;
  if (sql_type == "text") {
    if (value.get_string().get(text) != simdjson::SUCCESS) {
      return Reject(field, fmt::format("{} is not text", raw));
    }
    // Airtable omits an empty cell rather than send ""; one that arrives is
    // no value (as checksums count it), which also keeps the column's CHECK.
    if (text.empty()) return PgValue::Null();
    if (HasNul(text)) {
      return Reject(
          field, fmt::format("{} contains a NUL character, which Postgres text cannot hold", raw));
    }
    return PgValue::Scalar(std::string(text));
  }
  if (int scale = NumericScale(sql_type); scale >= 0) {
    AIRPG_ASSIGN_OR_RETURN(std::string n, Number(field, value, scale, raw));
    return PgValue::Scalar(std::move(n));
  }
  if (sql_type == "smallint" || sql_type == "integer" || sql_type == "bigint") {
    int64_t n;
    if (value.get_int64().get(n) != simdjson::SUCCESS) {
      return Reject(field, fmt::format("{} is not a whole number", raw));
    }
    auto [low, high] = IntegerRange(sql_type);
    if (n < low || n > high) {
      return Reject(field, fmt::format("{} is out of range for {}", n, sql_type));
    }
    if ((plan.min_value && n < *plan.min_value) || (plan.max_value && n > *plan.max_value)) {
      return Reject(field, fmt::format("{} is outside {}..{}", n, plan.min_value.value_or(low),
                                       plan.max_value.value_or(high)));
    }
    return PgValue::Scalar(std::to_string(n));
  }
  if (sql_type == "interval") {
    if (!value.is_number()) return Reject(field, fmt::format("{} is not a duration", raw));
    AIRPG_ASSIGN_OR_RETURN(std::string seconds, IntervalSeconds(field, raw));
    return PgValue::Scalar(std::move(seconds));
  }
  if (sql_type == "boolean") {
    bool b;
    if (value.get_bool().get(b) != simdjson::SUCCESS) {
      return Reject(field, fmt::format("{} is not true or false", raw));
    }
    return PgValue::Scalar(b ? "true" : "false");
  }
  if (sql_type == "date" || sql_type == "timestamptz") {
    if (value.get_string().get(text) != simdjson::SUCCESS) {
      return Reject(field, fmt::format("{} is not a date", raw));
    }
    bool ok = sql_type == "date" ? IsDate(text) : IsInstant(text);
    if (!ok) return Reject(field, fmt::format("{} is not an ISO {}", raw, sql_type));
    return PgValue::Scalar(std::string(text));
  }
  if (sql_type == "jsonb") {
    if (JsonHasNul(value)) {
      return Reject(field,
                    fmt::format("{} holds a NUL character, which Postgres jsonb cannot hold", raw));
    }
    if (!plan.required_key.empty() &&
        (!value.is_object() || value[plan.required_key].error() != simdjson::SUCCESS)) {
      return Reject(field, fmt::format("{} is not an object with \"{}\"", raw, plan.required_key));
    }
    return PgValue::Scalar(std::string(raw));
  }
  return Reject(field, fmt::format("no conversion to {}", sql_type));
}

// "PT1H2M3.5S", "P1DT2H", "-PT5S" (IntervalStyle iso_8601) → seconds.
Result<std::string> IsoIntervalSeconds(std::string_view text) {
  bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty() || text[0] != 'P') return InvalidArgumentError("not an ISO interval");
  double seconds = 0;
  bool time = false;
  std::string number;
  for (char c : text.substr(1)) {
    if (c == 'T') {
      time = true;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-') {
      number += c;
    } else {
      double n = std::atof(number.c_str());
      number.clear();
      if (!time && c == 'D')
        seconds += n * 86400;
      else if (time && c == 'H')
        seconds += n * 3600;
      else if (time && c == 'M')
        seconds += n * 60;
      else if (time && c == 'S')
        seconds += n;
      else
        return InvalidArgumentError("interval with years or months has no fixed length");
    }
  }
  if (negative) seconds = -seconds;
  return fmt::format("{}", seconds);
}

// "2022-09-05 07:00:00.123+00" → "2022-09-05T07:00:00.123Z" (milliseconds, UTC).
Result<std::string> IsoInstant(std::string_view text) {
  if (text.size() < 22 || text.substr(text.size() - 3) != "+00") {
    return InvalidArgumentError("timestamptz not printed in UTC (set TimeZone to UTC)");
  }
  std::string_view date = text.substr(0, 10), clock = text.substr(11, 8);
  std::string_view fraction = text.substr(19, text.size() - 3 - 19);  // ".123456" or ""
  std::string millis = fraction.empty() ? "000" : std::string(fraction.substr(1));
  millis = (millis + "000").substr(0, 3);
  return fmt::format("{}T{}.{}Z", date, clock, millis);
}

std::string Quoted(std::string_view text) { return "\"" + JsonEscape(text) + "\""; }

}  // namespace

Result<PgValue> CellToPg(const airtable::Field& field, const ColumnPlan& plan,
                         std::optional<std::string_view> cell_json) {
  if (plan.storage != Storage::kColumn && plan.storage != Storage::kChoice &&
      plan.storage != Storage::kChoiceArray) {
    return FailedPreconditionError(fmt::format("field \"{}\" is stored as a relation", field.name));
  }
  if (!cell_json) {
    // Airtable omits empty cells; an unchecked checkbox is one of them.
    if (plan.sql_type == "boolean" && plan.not_null) return PgValue::Scalar("false");
    return PgValue::Null();
  }
  thread_local simdjson::dom::parser parser;
  element value;
  if (parser.parse(cell_json->data(), cell_json->size()).get(value) != simdjson::SUCCESS) {
    return Reject(field, "the cell is not JSON");
  }
  std::string_view sql_type = plan.sql_type;
  if (sql_type.size() > 2 && sql_type.substr(sql_type.size() - 2) == "[]") {
    simdjson::dom::array array;
    if (value.get_array().get(array) != simdjson::SUCCESS) {
      return Reject(field, fmt::format("{} is not a list", *cell_json));
    }
    std::string_view item_type = sql_type.substr(0, sql_type.size() - 2);
    std::vector<std::string> items;
    for (element item : array) {
      std::string raw = simdjson::minify(item);
      AIRPG_ASSIGN_OR_RETURN(PgValue v, Scalar(field, plan, item_type, item, raw));
      items.push_back(std::move(v.text));
    }
    return PgValue::Array(std::move(items));
  }
  return Scalar(field, plan, sql_type, value, *cell_json);
}

Result<std::optional<std::string>> PgToCell(const airtable::Field& field, const ColumnPlan& plan,
                                            const PgValue& value) {
  using Out = std::optional<std::string>;
  if (value.is_null) return Out();
  std::string_view sql_type = plan.sql_type;
  auto one = [&](std::string_view type, const std::string& text) -> Result<std::string> {
    if (type == "text" || type == "date") return Quoted(text);
    if (NumericScale(type) >= 0) return TrimZeros(text);
    if (type == "smallint" || type == "integer" || type == "bigint") return text;
    if (type == "boolean") return std::string(text == "t" || text == "true" ? "true" : "false");
    if (type == "interval") return IsoIntervalSeconds(text);
    if (type == "timestamptz") {
      AIRPG_ASSIGN_OR_RETURN(std::string iso, IsoInstant(text));
      return Quoted(iso);
    }
    if (type == "jsonb") return text;
    return Reject(field, fmt::format("no conversion from {}", type));
  };
  if (value.array) {
    std::string_view item_type = sql_type.substr(0, sql_type.size() - 2);
    if (value.array->empty()) return Out();
    std::string out = "[";
    for (size_t i = 0; i < value.array->size(); ++i) {
      AIRPG_ASSIGN_OR_RETURN(std::string item, one(item_type, (*value.array)[i]));
      out += (i ? "," : "") + item;
    }
    return Out(out + "]");
  }
  if (sql_type == "boolean" && !(value.text == "t" || value.text == "true")) return Out();
  if (sql_type == "text" && value.text.empty()) return Out();
  AIRPG_ASSIGN_OR_RETURN(std::string json, one(sql_type, value.text));
  return Out(std::move(json));
}

}  // namespace airpg::mapping
