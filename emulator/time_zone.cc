#include "emulator/time_zone.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <vector>

#include "emulator/clock.h"

namespace airpg::emulator {
namespace {

struct Zone {
  std::vector<int64_t> transitions;  // UTC seconds, ascending
  std::vector<int> offsets;          // offset after each transition
  int initial_offset = 0;            // before the first transition
};

int64_t ReadBig(const std::string& data, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(data[pos + i]);
  if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

// Parses a TZif file (RFC 8536), preferring the 64-bit v2+ block.
bool ParseTzif(const std::string& data, Zone* zone) {
  auto block = [&](size_t start, int time_bytes, size_t* end) -> bool {
    if (data.size() < start + 44 || data.compare(start, 4, "TZif") != 0) return false;
    int64_t isut = ReadBig(data, start + 20, 4), isstd = ReadBig(data, start + 24, 4);
    int64_t leap = ReadBig(data, start + 28, 4), timecnt = ReadBig(data, start + 32, 4);
    int64_t typecnt = ReadBig(data, start + 36, 4), charcnt = ReadBig(data, start + 40, 4);
    size_t pos = start + 44;
    size_t need = pos + static_cast<size_t>(timecnt * time_bytes + timecnt + typecnt * 6 + charcnt +
                                            leap * (time_bytes + 4) + isstd + isut);
    if (data.size() < need || typecnt <= 0) return false;
    size_t types = pos + static_cast<size_t>(timecnt * time_bytes + timecnt);
    zone->transitions.clear();
    zone->offsets.clear();
    for (int64_t i = 0; i < timecnt; ++i) {
      zone->transitions.push_back(
          ReadBig(data, pos + static_cast<size_t>(i * time_bytes), time_bytes));
      size_t type =
          static_cast<unsigned char>(data[pos + static_cast<size_t>(timecnt * time_bytes + i)]);
      zone->offsets.push_back(static_cast<int>(ReadBig(data, types + type * 6, 4)));
    }
    zone->initial_offset = static_cast<int>(ReadBig(data, types, 4));
    *end = need;
    return true;
  };
  size_t end = 0;
  if (!block(0, 4, &end)) return false;
  if (data[4] >= '2') block(end, 8, &end);  // the v2+ block, when present, supersedes v1
  return true;
}

const Zone* LoadZone(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, Zone> zones;
  std::lock_guard lock(mu);
  auto it = zones.find(name);
  if (it != zones.end()) return &it->second;
  if (name.empty() || name.find("..") != std::string::npos || name[0] == '/') return nullptr;
  std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
  if (!in) return nullptr;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Zone zone;
  if (!ParseTzif(data, &zone)) return nullptr;
  return &zones.emplace(name, std::move(zone)).first->second;
}

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

bool UtcOffsetSeconds(const std::string& zone_name, int64_t utc_seconds, int* offset) {
  if (zone_name == "utc" || zone_name == "UTC" || zone_name == "Etc/UTC") {
    *offset = 0;
    return true;
  }
  const Zone* zone = LoadZone(zone_name);
  if (zone == nullptr) return false;
  *offset = zone->initial_offset;
  for (size_t i = 0; i < zone->transitions.size() && zone->transitions[i] <= utc_seconds; ++i) {
    *offset = zone->offsets[i];
  }
  return true;
}

std::string FormatDateCell(const std::string& value, const Json& options, bool with_time,
                           const std::string& client_zone, const std::string& user_locale) {
  int64_t millis = 0;
  if (!ParseIsoMillis(value, &millis)) return value;
  std::string date_format = "iso", time_format = "24hour", zone = "utc";
  if (options.is_object()) {
    if (options.contains("dateFormat") && options["dateFormat"].is_object()) {
      date_format = options["dateFormat"].value("name", "iso");
    }
    if (options.contains("timeFormat") && options["timeFormat"].is_object()) {
      time_format = options["timeFormat"].value("name", "24hour");
    }
    zone = options.value("timeZone", "client");
  }
  if (zone == "client") zone = client_zone.empty() ? "utc" : client_zone;
  int offset = 0;
  if (with_time && !UtcOffsetSeconds(zone, millis / 1000, &offset)) offset = 0;
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

}  // namespace airpg::emulator
