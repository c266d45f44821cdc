// DateFormat: Moment.js-style format strings (DATETIME_FORMAT) and the
// matching reader (DATETIME_PARSE with a format). English names only.
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airpg::formula {

// One piece of a format: a token ("MMMM") or literal text.
struct MomentPiece {
  bool literal = false;
  std::string text;
};

// Splits a Moment format as Moment does: the English localized formats
// (LT LTS L LL LLL LLLL l ll lll llll) are expanded first; `[text]` and a
// backslash before a character are literal; tokens are matched longest first.
// Tokens: M Mo MM MMM MMMM Q Qo D Do DD DDD DDDo DDDD d do dd ddd dddd e E
// w wo ww W Wo WW Y YY YYYY YYYYY YYYYYY y yo yy yyy yyyy N NN NNN NNNN NNNNN
// gg gggg ggggg GG GGGG GGGGG A a H HH h hh k kk m mm s ss S…SSSSSSSSS
// z zz Z ZZ X x. Everything else is literal.
std::vector<MomentPiece> SplitMomentFormat(std::string_view format);

// What `z` and `zz` print.
struct ZoneNames {
  std::string z = "UTC";
  std::string zz = "Coordinated Universal Time";
};

// The names for a date's display zone when they need no zone data: none
// (""), a fixed offset (Moment in UTC mode: "UTC", "Coordinated Universal
// Time"), UTC/GMT by name (moment-timezone: the abbreviation twice).
// nullopt for a named zone, whose abbreviation comes from its TZif data.
std::optional<ZoneNames> FixedZoneNames(std::string_view zone);

// Formats the instant `utc_millis` as seen at `offset_seconds` from UTC.
std::string FormatMoment(int64_t utc_millis, int offset_seconds, std::string_view format,
                         const ZoneNames& names = {});

// Ordinal as Moment's English locale writes it: 1st 2nd 3rd 4th 11th 21st.
std::string Ordinal(int64_t n);

// Moment week numbers and their week-years for a day count since the epoch:
// ISO (weeks start Monday; week 1 holds January 4) and the English locale's
// (weeks start Sunday; week 1 holds January 1).
int IsoWeek(int64_t days);
int64_t IsoWeekYear(int64_t days);
int LocaleWeek(int64_t days);
int64_t LocaleWeekYear(int64_t days);

// Reads `text` laid out as `format` (tokens YYYY YY M MM MMM MMMM D DD Do
// H HH h hh m mm s ss SSS A a X x, literals). Missing parts default to
// 1970-01-01 00:00:00; the result is UTC. nullopt when it does not match.
std::optional<int64_t> ParseMoment(std::string_view text, std::string_view format);

}  // namespace airpg::formula
