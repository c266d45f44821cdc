// DateFormat: Moment.js-style format strings (DATETIME_FORMAT) and the
// matching reader (DATETIME_PARSE with a format). English names only.
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace airpg::formula {

// Formats the instant `utc_millis` as seen at `offset_seconds` from UTC.
// Supported tokens: YYYY YY Q M MM MMM MMMM D DD Do DDD DDDD d ddd dddd
// H HH h hh m mm s ss S SS SSS A a Z ZZ X x W WW w ww, and [literal text].
std::string FormatMoment(int64_t utc_millis, int offset_seconds, std::string_view format);

// Reads `text` laid out as `format` (tokens YYYY YY M MM MMM MMMM D DD Do
// H HH h hh m mm s ss SSS A a X x, literals). Missing parts default to
// 1970-01-01 00:00:00; the result is UTC. nullopt when it does not match.
std::optional<int64_t> ParseMoment(std::string_view text, std::string_view format);

}  // namespace airpg::formula
