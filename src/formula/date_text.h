// DateText: how Airtable reads a date written as text without a format
// (DATETIME_FORMAT('10/22/2003', 'M'), DATEADD("07/10/19", 1, "days"),
// DATETIME_PARSE("22 October 2003"), a date compared with text). Airtable
// hands such text to Moment.js, which reads ISO 8601 itself and gives
// anything else to the JavaScript engine's Date parser; this is that pair:
// ParseIsoMillis, then V8's legacy reading of the forms Airtable's docs use.
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace airpg::formula {

// The instant `text` names, read in UTC unless it carries a zone; nullopt
// when it is no date (or an ISO date that does not exist, as Moment says).
//
// Besides ISO 8601 (civil_time.h):
//   numeric dates  M/D/Y  M-D-Y  M.D.Y  (10/22/2003, 2/11/21, 03-18-2019),
//                  and Y/M/D when the first number is above 31 (2003/10/22);
//   named months   22 October 2003, October 22, 2003, Oct 22 2003,
//                  2003 Oct 22, March 2024 (the 1st); three letters or
//                  more, any case;
//   two-digit years: 00–49 → 2000s, 50–99 → 1900s;
//   day names are skipped (Wed, 22 Oct 2003);
//   a time anywhere: H:mm[:ss[.SSS]], optionally " am"/" pm" after a
//                  space (2:30 PM; V8 rejects 2:30pm and 7 pm, and so do we);
//   a zone: Z, UTC, GMT, UT, ±HH:mm, ±HHmm, ±HH, GMT+0200.
// A day past the month's end rolls over (2/30/2021 is March 2), as V8 does.
// A year is required: V8 makes up 2001 for "10/22", "5" or "Room 12"; we
// read those as no date (docs/formula.md).
std::optional<int64_t> ParseDateText(std::string_view text);

// The instants of a comma-separated list of such dates (WORKDAY's holidays,
// "2024-12-25, 2024-12-26"), in order, blank items skipped; nullopt when an
// item is no date.
std::optional<std::vector<int64_t>> ParseDateTextList(std::string_view text);

}  // namespace airpg::formula
