// HexLower: bytes as lower-case hexadecimal, two digits a byte (digests,
// MACs, random keys). Pure.
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

}  // namespace airpg
