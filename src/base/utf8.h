// UTF-8 decoding with replacement, as the WHATWG Encoding standard's "UTF-8
// decode without BOM" does it: every maximal subpart of an ill-formed
// sequence (a stray continuation byte, a truncated sequence, an overlong
// form, a surrogate, a code point past U+10FFFF) becomes one U+FFFD. This is
// what URLSearchParams and Node do with a query string's bytes, so text that
// reaches Postgres or a JSON answer is always valid UTF-8. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace airpg {

// `bytes` with each ill-formed subpart replaced by U+FFFD (EF BF BD); valid
// UTF-8 comes back unchanged.
std::string Utf8WithReplacement(std::string_view bytes);

}  // namespace airpg
