#include "mapping/decimal_text.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace airpg::mapping {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The point is clamped far beyond any value a numeric column or a double
// holds, so the arithmetic cannot overflow on hostile input; the exponent
// read is clamped wider, so CanonicalNumber's text parses back to the same
// clamped point.
constexpr int64_t kPointLimit = 1'000'000'000;
constexpr int64_t kExponentLimit = 4 * kPointLimit;

}  // namespace

bool IsJsonNumber(std::string_view s) {
  size_t i = 0, n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n || !IsDigit(s[i])) return false;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < n && IsDigit(s[i])) ++i;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (i >= n || !IsDigit(s[i])) return false;
    while (i < n && IsDigit(s[i])) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= n || !IsDigit(s[i])) return false;
    while (i < n && IsDigit(s[i])) ++i;
  }
  return i == n;
}

Decimal ParseDecimal(std::string_view s) {
  Decimal d;
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) d.negative = s[i++] == '-';
  int64_t point = 0;
  bool seen_point = false, leading = true;
  for (; i < s.size() && (IsDigit(s[i]) || s[i] == '.'); ++i) {
    if (s[i] == '.') {
      seen_point = true;
      continue;
    }
    if (leading && s[i] == '0') {
      if (seen_point) --point;  // 0.00ddd: the point sits before the zeros
      continue;
    }
    leading = false;
    d.digits += s[i];
    if (!seen_point) ++point;
  }
  int64_t exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool minus = i < s.size() && s[i] == '-';
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      exponent = std::min(exponent * 10 + (s[i] - '0'), kExponentLimit);
    }
    if (minus) exponent = -exponent;
  }
  while (!d.digits.empty() && d.digits.back() == '0') d.digits.pop_back();
  if (d.digits.empty()) return Decimal{};
  d.point = std::clamp(point + exponent, -kPointLimit, kPointLimit);
  return d;
}

bool FitsNumeric(const Decimal& d) {
  return d.IntegerDigits() <= 131072 && d.FractionDigits() <= 16383;
}

std::string CanonicalNumber(std::string_view number) {
  Decimal d = ParseDecimal(number);
  if (d.digits.empty()) return "0";
  std::string out = d.negative ? "-" : "";
  int64_t k = static_cast<int64_t>(d.digits.size()), n = d.point;
  // Digits beyond a double's 17 were typed, not computed: no 21-digit cap
  // (within numeric's 131072 integer digits).
  int64_t cap = k > 17 ? 131072 : 21;
  if (k <= n && n <= cap) {
    out += d.digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= cap) {
    out += d.digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += d.digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += d.digits;
  } else {
    out += d.digits[0];
    if (k > 1) {
      out += '.';
      out += d.digits.substr(1);
    }
    int64_t e = n - 1;
    out += e >= 0 ? "e+" : "e-";
    out += std::to_string(e >= 0 ? e : -e);
  }
  return out;
}

}  // namespace airpg::mapping
