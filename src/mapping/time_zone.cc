#include "mapping/time_zone.h"

#include <fmt/core.h>

#include <optional>

#include "formula/civil_time.h"
#include "formula/time_zone.h"

namespace airpg::mapping {
namespace {

bool IsUtc(std::string_view zone) {
  return zone.empty() || zone == "utc" || zone == "UTC" || zone == "client" || zone == "Etc/UTC";
}

}  // namespace

Result<std::string> DateInZone(std::string_view instant, std::string_view zone) {
  std::optional<int64_t> millis = formula::ParseIsoMillis(instant);
  if (!millis) return InvalidArgumentError(fmt::format("\"{}\" is not an ISO instant", instant));
  int64_t local = *millis;
  if (!IsUtc(zone)) {
    // Zones are few and never change during a run; the lookup caches them.
    static const formula::TimeZoneLookup kZones = formula::SystemTimeZones();
    const formula::TimeZone* tz = kZones(zone);
    if (tz == nullptr) return NotFoundError(fmt::format("unknown time zone \"{}\"", zone));
    // Past the last transition (2037 in Debian's files) the last offset holds.
    local += int64_t{tz->OffsetAt(*millis)} * 1000;
  }
  formula::CivilTime day = formula::CivilFromMillis(local);
  return fmt::format("{:04d}-{:02d}-{:02d}", day.year, day.month, day.day);
}

}  // namespace airpg::mapping
