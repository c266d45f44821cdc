// Time zones for cellFormat=string: the UTC offset of an IANA zone at an
// instant (src/formula's reader of the system tz database, Debian package
// tzdata), given to the shared wire format's date text
// (src/airtable/wire/date_text.h), which these wrap.
// Thread-safe: parsed zones are cached behind a mutex.
#pragma once

#include <cstdint>
#include <string>

#include "emulator/model.h"

namespace airpg::emulator {

// The offset east of UTC, in seconds, of `zone` ("utc", "UTC" or an IANA
// name such as "Asia/Ho_Chi_Minh") at `utc_seconds`. False for unknown zones.
bool UtcOffsetSeconds(const std::string& zone, int64_t utc_seconds, int* offset);

// The calendar date "YYYY-MM-DD" of `millis` in `zone` (IANA name or
// "utc"); unknown zones, "client" included, count as UTC.
std::string DateInZone(int64_t millis, const std::string& zone);

// The display text of a date ("YYYY-MM-DD") or dateTime (ISO UTC) value for a
// field whose options (or result options, for createdTime/lastModifiedTime)
// are `options`. dateTime values are shown in the field's time zone, or in
// `client_zone` when the field's zone is "client" (or absent); the "local"
// date format follows `user_locale` (en-us by default). Unparseable values
// are returned unchanged.
std::string FormatDateCell(const std::string& value, const Json& options, bool with_time,
                           const std::string& client_zone, const std::string& user_locale);

}  // namespace airpg::emulator
