#include "mapping/cell_value.h"

#include <simdjson.h>

#include <cctype>

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

bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

Result<PgValue> Scalar(const airtable::Field& field, std::string_view sql_type, element value,
                       std::string_view raw) {
  std::string_view text;
  if (sql_type == "text") {
    if (value.get_string().get(text) != simdjson::SUCCESS) {
      return Reject(field, fmt::format("{} is not text", raw));
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
    return PgValue::Scalar(std::to_string(n));
  }
  if (sql_type == "interval") {
    if (!value.is_number()) return Reject(field, fmt::format("{} is not a duration", raw));
    return PgValue::Scalar(PlainDecimal(raw) + " seconds");
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
    bool ok = sql_type == "date" ? IsDate(text)
                                 : text.size() >= 20 && IsDate(text.substr(0, 10)) &&
                                       text[10] == 'T' && text.back() == 'Z';
    if (!ok) return Reject(field, fmt::format("{} is not an ISO {}", raw, sql_type));
    return PgValue::Scalar(std::string(text));
  }
  if (sql_type == "jsonb") return PgValue::Scalar(std::string(raw));
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
      AIRPG_ASSIGN_OR_RETURN(PgValue v, Scalar(field, item_type, item, raw));
      items.push_back(std::move(v.text));
    }
    return PgValue::Array(std::move(items));
  }
  return Scalar(field, sql_type, value, *cell_json);
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
