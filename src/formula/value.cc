// Value coercions shared by every operator and function.
#include "formula/value.h"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "base/json_escape.h"
#include "formula/civil_time.h"

namespace airpg::formula {

Value Value::Number(double n) {
  Value v;
  v.kind = ValueKind::kNumber;
  v.number = n;
  return v;
}
Value Value::Text(std::string s) {
  Value v;
  v.kind = ValueKind::kText;
  v.text = std::move(s);
  return v;
}
Value Value::Bool(bool b) {
  Value v;
  v.kind = ValueKind::kBool;
  v.boolean = b;
  return v;
}
Value Value::Date(int64_t millis) {
  Value v;
  v.kind = ValueKind::kDate;
  v.millis = millis;
  return v;
}
Value Value::Array(std::vector<Value> items) {
  Value v;
  v.kind = ValueKind::kArray;
  v.items = std::move(items);
  return v;
}
Value Value::Error(std::string text) {
  Value v;
  v.kind = ValueKind::kError;
  v.text = std::move(text);
  return v;
}

std::string FormatNumber(double n) {
  if (std::isnan(n)) return "NaN";
  if (std::isinf(n)) return n > 0 ? "Infinity" : "-Infinity";
  if (n == 0) return "0";
  // Shortest digits via scientific to_chars, then laid out as JavaScript does.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(n), std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  size_t e_pos = sci.find('e');
  std::string digits = sci.substr(0, e_pos);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  int exponent = std::atoi(sci.c_str() + e_pos + 1);
  int k = static_cast<int>(digits.size());
  std::string out = n < 0 ? "-" : "";
  if (exponent >= 21 || exponent < -6) {
    out += digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += exponent >= 0 ? "e+" : "e-";
    out += std::to_string(std::abs(exponent));
  } else if (exponent >= k - 1) {
    out += digits + std::string(exponent - k + 1, '0');
  } else if (exponent >= 0) {
    out += digits.substr(0, exponent + 1) + "." + digits.substr(exponent + 1);
  } else {
    out += "0." + std::string(-exponent - 1, '0') + digits;
  }
  return out;
}

std::string FormatIsoUtc(int64_t millis) {
  CivilTime c = CivilFromMillis(millis);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", c.year, c.month, c.day, c.hour,
                     c.minute, c.second, c.millisecond);
}

std::string ToText(const Value& v) {
  switch (v.kind) {
    case ValueKind::kBlank:
      return "";
    case ValueKind::kNumber:
      return FormatNumber(v.number);
    case ValueKind::kText:
      return v.text;
    case ValueKind::kBool:
      return v.boolean ? "true" : "false";
    case ValueKind::kDate:
      return FormatIsoUtc(v.millis);
    case ValueKind::kError:
      return v.text;
    case ValueKind::kArray: {
      std::string out;
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i > 0) out += ", ";
        out += ToText(v.items[i]);
      }
      return out;
    }
  }
  return "";
}

bool ParseDecimal(std::string_view text, double& out) {
  size_t b = 0, e = text.size();
  while (b < e && (text[b] == ' ' || text[b] == '\t' || text[b] == '\n' || text[b] == '\r')) ++b;
  while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t' || text[e - 1] == '\n' ||
                   text[e - 1] == '\r')) {
    --e;
  }
  std::string_view t = text.substr(b, e - b);
  if (t.empty()) return false;
  size_t i = 0;
  bool negative = false;
  if (t[0] == '-' || t[0] == '+') {
    negative = t[0] == '-';
    ++i;
  }
  size_t digits = 0, j = i;
  for (; j < t.size() && t[j] >= '0' && t[j] <= '9'; ++j) ++digits;
  if (j < t.size() && t[j] == '.') {
    for (++j; j < t.size() && t[j] >= '0' && t[j] <= '9'; ++j) ++digits;
  }
  if (digits == 0 || j != t.size()) return false;
  std::string body(t.substr(i));
  if (body[0] == '.') body = "0" + body;
  double value = std::strtod(body.c_str(), nullptr);  // huge → Infinity, as JavaScript
  out = negative ? -value : value;
  return true;
}

double ToNumber(const Value& v) {
  switch (v.kind) {
    case ValueKind::kBlank:
      return 0;
    case ValueKind::kNumber:
      return v.number;
    case ValueKind::kBool:
      return v.boolean ? 1 : 0;
    case ValueKind::kDate:
      return static_cast<double>(v.millis);
    case ValueKind::kText: {
      double out = 0;
      bool all_space = v.text.find_first_not_of(" \t\r\n") == std::string::npos;
      if (all_space) return 0;
      return ParseDecimal(v.text, out) ? out : std::nan("");
    }
    case ValueKind::kArray:
      return v.items.size() == 1 ? ToNumber(v.items[0]) : std::nan("");
    case ValueKind::kError:
      return std::nan("");
  }
  return 0;
}

bool Truthy(const Value& v) {
  switch (v.kind) {
    case ValueKind::kBlank:
      return false;
    case ValueKind::kNumber:
      return v.number != 0 && !std::isnan(v.number);
    case ValueKind::kText:
      return !v.text.empty();
    case ValueKind::kBool:
      return v.boolean;
    case ValueKind::kDate:
      return true;
    case ValueKind::kArray:
      return !v.items.empty();
    case ValueKind::kError:
      return false;
  }
  return false;
}

std::string DebugString(const Value& v) {
  switch (v.kind) {
    case ValueKind::kBlank:
      return "BLANK";
    case ValueKind::kNumber:
      return FormatNumber(v.number);
    case ValueKind::kText:
      return "\"" + JsonEscape(v.text) + "\"";
    case ValueKind::kBool:
      return v.boolean ? "TRUE" : "FALSE";
    case ValueKind::kDate:
      return FormatIsoUtc(v.millis);
    case ValueKind::kError:
      return v.text;
    case ValueKind::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i > 0) out += ", ";
        out += DebugString(v.items[i]);
      }
      return out + "]";
    }
  }
  return "";
}

}  // namespace airpg::formula
