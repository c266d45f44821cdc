// The calendar day of a UTC instant in an Airtable field's time zone (an IANA
// name from the field's options, "utc", or "client"), for computed fields with
// a `date` result that arrive as a full instant. The zones come from
// formula::SystemTimeZones (the one TZif reader). Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace airpg::mapping {

// "2024-03-10T04:30:00.000Z" in "America/New_York" → "2024-03-09". An empty
// zone, "utc" or "client" (the viewer's zone, unknown to the API) is UTC. An
// unknown zone is kNotFound; text that is not an ISO instant is kInvalidArgument.
Result<std::string> DateInZone(std::string_view instant, std::string_view zone);

}  // namespace airpg::mapping
