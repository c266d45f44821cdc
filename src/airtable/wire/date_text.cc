#include "airtable/wire/date_text.h"

#include <cstdio>

#include "airtable/wire/iso_time.h"

namespace airpg::airtable::wire {
namespace {

constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

// Moment's "l" format for a few locales (UNCONFIRMED beyond en-us and fr-ca,
// the one captured live); others fall back to en-us.
std::string LocalFormat(const std::string& locale) {
  std::string lang = locale.substr(0, 2);
  if (locale == "fr-ca" || locale == "en-ca" || lang == "sv" || lang == "lt") return "iso";
  if (lang == "de" || lang == "ru" || lang == "pl" || lang == "fi" || lang == "nb") return "dotted";
  if (lang == "ja" || lang == "zh" || lang == "ko") return "slashed-iso";
  if (locale == "en-us" || locale.empty() || lang != "en") {
    if (lang == "fr" || lang == "es" || lang == "it" || lang == "pt" || lang == "nl") {
      return "european";
    }
    return "us";
  }
  return "european";  // en-gb, en-au, en-ie, en-nz, ...
}

std::string FormatDate(int y, int m, int d, std::string format_name, const std::string& locale) {
  char buf[64];
  if (format_name == "local") format_name = LocalFormat(locale);
  if (format_name == "dotted") {
    std::snprintf(buf, sizeof(buf), "%d.%d.%04d", d, m, y);
  } else if (format_name == "slashed-iso") {
    std::snprintf(buf, sizeof(buf), "%04d/%d/%d", y, m, d);
  } else if (format_name == "us") {
    std::snprintf(buf, sizeof(buf), "%d/%d/%04d", m, d, y);
  } else if (format_name == "european") {
    std::snprintf(buf, sizeof(buf), "%d/%d/%04d", d, m, y);
  } else if (format_name == "friendly") {
    std::snprintf(buf, sizeof(buf), "%s %d, %04d", kMonths[m - 1], d, y);
  } else {
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
  }
  return buf;
}

}  // namespace

std::string DateInZone(int64_t millis, const std::string& zone, const ZoneOffsetFn& zone_offset) {
  int offset = 0;
  if (!zone_offset || !zone_offset(zone, millis / 1000, &offset)) offset = 0;
  return FormatIsoMillis(millis + offset * 1000LL).substr(0, 10);
}

std::string FormatDateCell(const std::string& value, const Json& options, bool with_time,
                           const std::string& client_zone, const std::string& user_locale,
                           const ZoneOffsetFn& zone_offset) {
  int64_t millis = 0;
  if (!ParseIsoMillis(value, &millis)) return value;
  std::string date_format = "iso", time_format = "24hour", zone = "utc";
  date_format = StringAt(MemberAt(options, "dateFormat"), "name", date_format);
  time_format = StringAt(MemberAt(options, "timeFormat"), "name", time_format);
  if (options.is_object()) zone = StringAt(options, "timeZone", "client");
  if (zone == "client") zone = client_zone.empty() ? "utc" : client_zone;
  int offset = 0;
  if (with_time && (!zone_offset || !zone_offset(zone, millis / 1000, &offset))) offset = 0;
  std::string local = FormatIsoMillis(millis + (with_time ? offset * 1000LL : 0));
  int y = std::stoi(local.substr(0, 4)), m = std::stoi(local.substr(5, 2)),
      d = std::stoi(local.substr(8, 2)), h = std::stoi(local.substr(11, 2));
  std::string text = FormatDate(y, m, d, date_format, user_locale);
  if (!with_time) return text;
  std::string minutes = local.substr(14, 2);
  char buf[32];
  if (time_format == "12hour") {
    std::snprintf(buf, sizeof(buf), " %d:%s%s", h % 12 == 0 ? 12 : h % 12, minutes.c_str(),
                  h < 12 ? "am" : "pm");
  } else {
    std::snprintf(buf, sizeof(buf), " %02d:%s", h, minutes.c_str());
  }
  return text + buf;
}

}  // namespace airpg::airtable::wire
