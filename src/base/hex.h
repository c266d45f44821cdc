// HexLower: bytes as lower-case hexadecimal, two digits a byte (digests,
// MACs, random keys); HexDigitValue: one hex digit of either case read back
// (MAC headers, \u escapes). Pure.
#pragma once

#include <cstddef>
#include <string>

namespace airpg {

inline std::string HexLower(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

// The value of one hexadecimal digit, either case; -1 for any other char.
constexpr int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace airpg
