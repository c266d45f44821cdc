// Text functions. Positions and lengths count Unicode code points; LOWER,
// UPPER and SEARCH's case folding are ASCII-only (docs/formula.md says why).
#include <cmath>

#include "formula/function_registry.h"
#include "formula/regex.h"

namespace airpg::formula {
namespace {

// UTF-8 → code points; invalid bytes become U+FFFD-free single units so
// lengths stay defined for any input.
std::u32string Decode(std::string_view s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + len > s.size()) len = 1;
    char32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out += cp;
    i += len;
  }
  return out;
}

std::string Encode(std::u32string_view s) {
  std::string out;
  for (char32_t cp : s) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

// A count argument: truncated toward zero; NaN → nullopt (→ #ERROR!).
std::optional<int64_t> Count(const Value& v) {
  double n = ToNumber(v);
  if (std::isnan(n)) return std::nullopt;
  if (n > 1e9) return 1'000'000'000;
  if (n < -1e9) return -1'000'000'000;
  return static_cast<int64_t>(std::trunc(n));
}

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return s;
}
std::string AsciiUpper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return s;
}

Value Concatenate(const Args& a, const EvalContext&) {
  std::string out;
  for (const Value& v : a) out += ToText(v);
  return Value::Text(std::move(out));
}

Value Left(const Args& a, const EvalContext&) {
  auto n = a.size() > 1 ? Count(a[1]) : std::optional<int64_t>(1);
  if (!n || *n < 0) return Value::Error();
  std::u32string s = Decode(ToText(a[0]));
  return Value::Text(Encode(s.substr(0, static_cast<size_t>(*n))));
}

Value Right(const Args& a, const EvalContext&) {
  auto n = a.size() > 1 ? Count(a[1]) : std::optional<int64_t>(1);
  if (!n || *n < 0) return Value::Error();
  std::u32string s = Decode(ToText(a[0]));
  size_t take = std::min(s.size(), static_cast<size_t>(*n));
  return Value::Text(Encode(s.substr(s.size() - take)));
}

Value Mid(const Args& a, const EvalContext&) {
  auto start = Count(a[1]), n = Count(a[2]);
  if (!start || !n || *start < 1 || *n < 0) return Value::Error();
  std::u32string s = Decode(ToText(a[0]));
  if (static_cast<size_t>(*start) > s.size()) return Value::Text("");
  return Value::Text(Encode(s.substr(*start - 1, static_cast<size_t>(*n))));
}

Value Len(const Args& a, const EvalContext&) {
  return Value::Number(static_cast<double>(Decode(ToText(a[0])).size()));
}
Value Lower(const Args& a, const EvalContext&) { return Value::Text(AsciiLower(ToText(a[0]))); }
Value Upper(const Args& a, const EvalContext&) { return Value::Text(AsciiUpper(ToText(a[0]))); }

Value Trim(const Args& a, const EvalContext&) {
  std::string s = ToText(a[0]);
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return Value::Text("");
  size_t e = s.find_last_not_of(" \t\r\n");
  return Value::Text(s.substr(b, e - b + 1));
}

Value Substitute(const Args& a, const EvalContext&) {
  std::string s = ToText(a[0]), from = ToText(a[1]), to = ToText(a[2]);
  if (from.empty()) return Value::Text(s);
  std::optional<int64_t> nth;
  if (a.size() > 3) {
    nth = Count(a[3]);
    if (!nth || *nth < 1) return Value::Error();
  }
  std::string out;
  size_t pos = 0;
  int64_t seen = 0;
  while (true) {
    size_t hit = s.find(from, pos);
    if (hit == std::string::npos) break;
    ++seen;
    out += s.substr(pos, hit - pos);
    out += (!nth || *nth == seen) ? to : from;
    pos = hit + from.size();
  }
  return Value::Text(out + s.substr(pos));
}

Value Replace(const Args& a, const EvalContext&) {
  auto start = Count(a[1]), n = Count(a[2]);
  if (!start || !n || *start < 1 || *n < 0) return Value::Error();
  std::u32string s = Decode(ToText(a[0]));
  size_t b = std::min(s.size(), static_cast<size_t>(*start - 1));
  size_t e = std::min(s.size(), b + static_cast<size_t>(*n));
  return Value::Text(Encode(s.substr(0, b)) + ToText(a[3]) + Encode(s.substr(e)));
}

// 1-based position of `needle` in `hay` at or after `start`, 0 when absent.
std::optional<int64_t> Position(const Args& a, bool fold) {
  std::string needle = ToText(a[0]), hay = ToText(a[1]);
  if (fold) {
    needle = AsciiLower(needle);
    hay = AsciiLower(hay);
  }
  int64_t start = 1;
  if (a.size() > 2) {
    auto s = Count(a[2]);
    if (!s) return std::nullopt;
    start = std::max<int64_t>(1, *s);
  }
  std::u32string h = Decode(hay), n = Decode(needle);
  if (static_cast<size_t>(start) > h.size() + 1) return 0;
  size_t hit = h.find(n, start - 1);
  return hit == std::u32string::npos ? 0 : static_cast<int64_t>(hit) + 1;
}

Value Find(const Args& a, const EvalContext&) {
  auto p = Position(a, false);
  return p ? Value::Number(static_cast<double>(*p)) : Value::Error();
}
Value Search(const Args& a, const EvalContext&) {
  auto p = Position(a, true);
  if (!p) return Value::Error();
  return *p == 0 ? Value::Blank() : Value::Number(static_cast<double>(*p));
}

Value Rept(const Args& a, const EvalContext&) {
  auto n = Count(a[1]);
  if (!n) return Value::Error();
  std::string s = ToText(a[0]), out;
  if (s.empty()) return Value::Text("");  // a huge count of nothing looped ~1e9 times
  if (static_cast<double>(s.size()) * static_cast<double>(*n) > 1e7) return Value::Error();
  for (int64_t i = 0; i < *n; ++i) out += s;
  return Value::Text(out);
}

Value T(const Args& a, const EvalContext&) {
  return a[0].kind == ValueKind::kText ? a[0] : Value::Blank();
}

Value ValueFn(const Args& a, const EvalContext&) {
  if (a[0].kind == ValueKind::kNumber) return a[0];
  std::string s;
  for (char c : ToText(a[0])) {
    if (c != ',' && c != '$') s += c;
  }
  double out = 0;
  if (!ParseDecimal(s, out)) return Value::Error();
  return Value::Number(out);
}

Value EncodeUrlComponent(const Args& a, const EvalContext&) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : ToText(a[0])) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return Value::Text(out);
}

// RE2 (regex.h); an invalid pattern is #ERROR!.
Value RegexMatch(const Args& a, const EvalContext&) {
  auto found = RegexSearch(ToText(a[0]), ToText(a[1]));
  return found.ok() ? Value::Bool(*found) : Value::Error();
}

// The whole leftmost match; no match is #ERROR!.
Value RegexExtract(const Args& a, const EvalContext&) {
  auto match = RegexFirstMatch(ToText(a[0]), ToText(a[1]));
  if (!match.ok() || !match->has_value()) return Value::Error();
  return Value::Text(std::move(**match));
}

Value RegexReplace(const Args& a, const EvalContext&) {
  auto out = RegexReplaceAll(ToText(a[0]), ToText(a[1]), ToText(a[2]));
  return out.ok() ? Value::Text(std::move(*out)) : Value::Error();
}

}  // namespace

void RegisterTextFunctions(std::vector<FunctionSpec>& out) {
  out.push_back({"CONCATENATE", 1, -1, ReturnsText, Concatenate});
  out.push_back({"LEFT", 1, 2, ReturnsText, Left});
  out.push_back({"RIGHT", 1, 2, ReturnsText, Right});
  out.push_back({"MID", 3, 3, ReturnsText, Mid});
  out.push_back({"LEN", 1, 1, ReturnsNumber, Len});
  out.push_back({"LOWER", 1, 1, ReturnsText, Lower});
  out.push_back({"UPPER", 1, 1, ReturnsText, Upper});
  out.push_back({"TRIM", 1, 1, ReturnsText, Trim});
  out.push_back({"SUBSTITUTE", 3, 4, ReturnsText, Substitute});
  out.push_back({"REPLACE", 4, 4, ReturnsText, Replace});
  out.push_back({"FIND", 2, 3, ReturnsNumber, Find});
  out.push_back({"SEARCH", 2, 3, ReturnsNumber, Search});
  out.push_back({"REPT", 2, 2, ReturnsText, Rept});
  out.push_back({"T", 1, 1, ReturnsText, T});
  out.push_back({"VALUE", 1, 1, ReturnsNumber, ValueFn});
  out.push_back({"ENCODE_URL_COMPONENT", 1, 1, ReturnsText, EncodeUrlComponent});
  out.push_back({"REGEX_MATCH", 2, 2, ReturnsBool, RegexMatch});
  out.push_back({"REGEX_EXTRACT", 2, 2, ReturnsText, RegexExtract});
  out.push_back({"REGEX_REPLACE", 3, 3, ReturnsText, RegexReplace});
}

}  // namespace airpg::formula
