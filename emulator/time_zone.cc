#include "emulator/time_zone.h"

#include "airtable/wire/date_text.h"
#include "formula/time_zone.h"

namespace airpg::emulator {

bool UtcOffsetSeconds(const std::string& zone_name, int64_t utc_seconds, int* offset) {
  if (zone_name == "utc" || zone_name == "UTC" || zone_name == "Etc/UTC") {
    *offset = 0;
    return true;
  }
  // The formula layer's reader of the system tz database (cached per zone).
  static const formula::TimeZoneLookup zones = formula::SystemTimeZones();
  const formula::TimeZone* zone = zones(zone_name);
  if (zone == nullptr) return false;
  *offset = zone->OffsetAt(utc_seconds * 1000);
  return true;
}

std::string DateInZone(int64_t millis, const std::string& zone) {
  return airtable::wire::DateInZone(millis, zone, UtcOffsetSeconds);
}

std::string FormatDateCell(const std::string& value, const Json& options, bool with_time,
                           const std::string& client_zone, const std::string& user_locale) {
  return airtable::wire::FormatDateCell(value, options, with_time, client_zone, user_locale,
                                        UtcOffsetSeconds);
}

}  // namespace airpg::emulator
