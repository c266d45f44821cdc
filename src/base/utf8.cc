#include "base/utf8.h"

#include <cstdint>

namespace airpg {
namespace {

// Utf8SequenceLength over raw bytes. Table 3-7 of the Unicode standard: the
// second byte's range depends on the lead byte, which rules out overlongs
// and surrogates.
size_t SequenceLength(const unsigned char* p, size_t left, size_t* subpart) {
  uint8_t lead = p[0];
  *subpart = 1;
  if (lead == 0) return 0;
  if (lead < 0x80) return 1;
  size_t need;
  uint8_t lo = 0x80, hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;  // a continuation byte, C0, C1 or F5–FF cannot lead
  }
  for (size_t i = 1; i < need; ++i) {
    if (i >= left) return 0;
    uint8_t byte = p[i];
    uint8_t min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;
    if (byte < min || byte > max) return 0;
    *subpart = i + 1;
  }
  return need;
}

}  // namespace

size_t Utf8SequenceLength(std::string_view s, size_t* subpart) {
  size_t ignored = 0;
  if (subpart == nullptr) subpart = &ignored;
  *subpart = 1;
  if (s.empty()) return 0;
  return SequenceLength(reinterpret_cast<const unsigned char*>(s.data()), s.size(), subpart);
}

std::string Utf8WithReplacement(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    size_t subpart = 1;
    size_t length = Utf8SequenceLength(bytes.substr(i), &subpart);
    if (length > 0) {
      out.append(bytes.substr(i, length));
      i += length;
    } else {
      out.append(kUtf8Replacement);
      i += subpart;
    }
  }
  return out;
}

}  // namespace airpg
