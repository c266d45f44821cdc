// The calendar day of a UTC instant in an Airtable field's time zone (an IANA
// name from the field's options, "utc", or "client"), read from the system's
// tzdata (TZif files under /usr/share/zoneinfo). For computed fields with a
// `date` result that arrive as a full instant. Thread-safe (zones are cached
// under a mutex).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace airpg::mapping {

// "2024-03-10T04:30:00.000Z" in "America/New_York" → "2024-03-09". An empty
// zone, "utc" or "client" (the viewer's zone, unknown to the API) is UTC. An
// unknown zone is kNotFound. REQUIRES: `instant` is YYYY-MM-DDTHH:MM:SS….Z.
Result<std::string> DateInZone(std::string_view instant, std::string_view zone);

// The zone's offset from UTC in seconds at `unix_seconds`.
Result<int64_t> UtcOffset(std::string_view zone, int64_t unix_seconds);

}  // namespace airpg::mapping
