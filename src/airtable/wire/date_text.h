// The display text of date and dateTime cells for cellFormat=string: the
// field's date/time formats, its time zone (or the request's for "client"
// zones) and the request's userLocale (API.md §2.1, §5.3). The offset of a
// zone comes from the caller (ZoneOffsetFn: src/formula's reader of the tz
// database in the emulator and in src/api), which keeps wire/ off formula/.
// Pure; thread-safe when the ZoneOffsetFn is.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "airtable/wire/json_read.h"

namespace airpg::airtable::wire {

// The offset east of UTC, in seconds, of `zone` (IANA name, "utc" or "UTC")
// at `utc_seconds`; false for unknown zones.
using ZoneOffsetFn = std::function<bool(const std::string& zone, int64_t utc_seconds, int* offset)>;

// The calendar date "YYYY-MM-DD" of `millis` in `zone`; unknown zones,
// "client" included, count as UTC.
std::string DateInZone(int64_t millis, const std::string& zone, const ZoneOffsetFn& zone_offset);

// The display text of a date ("YYYY-MM-DD") or dateTime (ISO UTC) value for a
// field whose options (or result options, for createdTime/lastModifiedTime)
// are `options`. dateTime values are shown in the field's time zone, or in
// `client_zone` when the field's zone is "client" (or absent); the "local"
// date format follows `user_locale` (en-us by default). Unparseable values
// are returned unchanged.
std::string FormatDateCell(const std::string& value, const Json& options, bool with_time,
                           const std::string& client_zone, const std::string& user_locale,
                           const ZoneOffsetFn& zone_offset);

}  // namespace airpg::airtable::wire
