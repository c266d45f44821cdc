// UTF-8 decoding with replacement, as the WHATWG Encoding standard's "UTF-8
// decode without BOM" does it: every maximal subpart of an ill-formed
// sequence (a stray continuation byte, a truncated sequence, an overlong
// form, a surrogate, a code point past U+10FFFF) becomes one U+FFFD. This is
// what URLSearchParams and Node do with a query string's bytes. NUL, which
// Postgres text cannot hold, is replaced too, so text that reaches Postgres
// or a JSON answer is always text they accept. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace airpg {

inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";  // U+FFFD

// The length (1–4) of the well-formed UTF-8 sequence that starts `s`, or 0
// when it is ill-formed, a NUL, or `s` is empty; then `*subpart` (if given)
// is how many bytes its maximal ill-formed subpart holds (at least 1).
size_t Utf8SequenceLength(std::string_view s, size_t* subpart = nullptr);

// `bytes` with each ill-formed subpart and each NUL replaced by U+FFFD;
// other valid UTF-8 comes back unchanged.
std::string Utf8WithReplacement(std::string_view bytes);

}  // namespace airpg
