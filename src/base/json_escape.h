// JsonEscape: the body of a JSON string literal for arbitrary UTF-8 text.
// Used where a line of JSON is written without a JSON library (log lines).
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace airpg {

// Escapes quotes, backslashes and control characters; leaves UTF-8 as is.
std::string JsonEscape(std::string_view text);

}  // namespace airpg
