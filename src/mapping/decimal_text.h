// Decimal text: JSON number tokens and Postgres numeric output read as exact
// decimals (digits and a point position), never as doubles, and written the
// way Airtable writes numbers. Pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace airpg::mapping {

// Whether `token` is a JSON number ("-0.5e+3"), by JSON's grammar.
bool IsJsonNumber(std::string_view token);

// An exact decimal: value = sign × 0.digits × 10^point. `digits` has no
// leading or trailing zeros; empty for zero.
struct Decimal {
  bool negative = false;
  std::string digits;
  int64_t point = 0;
  // Digits left and right of the decimal point in plain notation.
  int64_t IntegerDigits() const { return point > 0 ? point : 0; }
  int64_t FractionDigits() const {
    int64_t k = static_cast<int64_t>(digits.size());
    return k > point ? k - point : 0;
  }
};

// REQUIRES: IsJsonNumber(number) or a plain decimal ("12", "-0.50", "5.").
// The point is clamped to ±10^9 (no column holds such a value anyway).
Decimal ParseDecimal(std::string_view number);

// Whether Postgres numeric (and so jsonb) can hold the value: 131072 digits
// before the point, 16383 after. Every double fits.
bool FitsNumeric(const Decimal& d);

// The text Airtable (JavaScript's Number#toString) writes for the exact
// value of `number`: plain when the point falls within the first 21 digits
// and at most 6 zeros follow it, else d.ddde±n ("1e-300", "1e+21"). One
// extension for values no double holds: with more than 17 significant
// digits the 21-digit bound does not apply, so 123456789012345678901234567890
// is written in full, as it is typed. Same REQUIRES as ParseDecimal.
std::string CanonicalNumber(std::string_view number);

}  // namespace airpg::mapping
