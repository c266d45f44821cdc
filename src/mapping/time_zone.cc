#include "mapping/time_zone.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

#include <fmt/core.h>

namespace airpg::mapping {
namespace {

struct Zone {
  std::vector<int64_t> transitions;  // unix seconds, ascending
  std::vector<uint8_t> types;        // type index per transition
  std::vector<int32_t> offsets;      // utoff per type
  int32_t initial = 0;               // before the first transition
};

int64_t BigEndian(const std::string& data, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(data[at + i]);
  if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

// TZif (RFC 8536): the 64-bit block of version 2+ files when present.
Result<Zone> ParseTzif(const std::string& data) {
  auto bad = [] { return InvalidArgumentError("not a TZif file"); };
  if (data.size() < 44 || data.compare(0, 4, "TZif") != 0) return bad();
  auto counts = [&](size_t at, int64_t c[6]) {
    for (int i = 0; i < 6; ++i) c[i] = BigEndian(data, at + 20 + 4 * i, 4);
  };
  int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  counts(0, c);
  size_t at = 44;
  int time_bytes = 4;
  if (data[4] >= '2') {
    at += c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    if (data.size() < at + 44) return bad();
    counts(at, c);
    at += 44;
    time_bytes = 8;
  }
  size_t need = at + c[3] * time_bytes + c[3] + c[4] * 6;
  if (c[4] < 1 || data.size() < need) return bad();
  Zone zone;
  for (int64_t i = 0; i < c[3]; ++i)
    zone.transitions.push_back(BigEndian(data, at + i * time_bytes, time_bytes));
  at += c[3] * time_bytes;
  for (int64_t i = 0; i < c[3]; ++i) {
    uint8_t type = static_cast<uint8_t>(data[at + i]);
    if (type >= c[4]) return bad();
    zone.types.push_back(type);
  }
  at += c[3];
  for (int64_t i = 0; i < c[4]; ++i) {
    zone.offsets.push_back(static_cast<int32_t>(BigEndian(data, at + i * 6, 4)));
  }
  zone.initial = zone.offsets[0];
  return zone;
}

bool SafeName(std::string_view zone) {
  if (zone.empty() || zone.find("..") != std::string_view::npos || zone[0] == '/') return false;
  return std::all_of(zone.begin(), zone.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '/' || ch == '_' || ch == '-' ||
           ch == '+';
  });
}

Result<std::shared_ptr<const Zone>> LoadZone(std::string_view name) {
  // Zones are few and never change during a run; the cache keeps them.
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Zone>, std::less<>> cache;
  std::lock_guard lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  if (!SafeName(name)) return NotFoundError(fmt::format("unknown time zone \"{}\"", name));
  std::ifstream in(fmt::format("/usr/share/zoneinfo/{}", name), std::ios::binary);
  if (!in) return NotFoundError(fmt::format("unknown time zone \"{}\"", name));
  std::stringstream bytes;
  bytes << in.rdbuf();
  Result<Zone> zone = ParseTzif(bytes.str());
  if (!zone.ok()) return NotFoundError(fmt::format("unknown time zone \"{}\"", name));
  auto shared = std::make_shared<const Zone>(std::move(*zone));
  cache.emplace(std::string(name), shared);
  return shared;
}

bool IsUtc(std::string_view zone) {
  return zone.empty() || zone == "utc" || zone == "UTC" || zone == "client" || zone == "Etc/UTC";
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::string CivilFromDays(int64_t z) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp + (mp < 10 ? 3 : -9);
  return fmt::format("{:04d}-{:02d}-{:02d}", y + (m <= 2), m, d);
}

int64_t Number(std::string_view s) {
  int64_t n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}

}  // namespace

Result<int64_t> UtcOffset(std::string_view zone, int64_t unix_seconds) {
  if (IsUtc(zone)) return int64_t{0};
  AIRPG_ASSIGN_OR_RETURN(std::shared_ptr<const Zone> z, LoadZone(zone));
  auto it = std::upper_bound(z->transitions.begin(), z->transitions.end(), unix_seconds);
  if (it == z->transitions.begin()) return int64_t{z->initial};
  // Past the last transition (2037 in Debian's files) the last rule holds.
  return int64_t{z->offsets[z->types[(it - z->transitions.begin()) - 1]]};
}

Result<std::string> DateInZone(std::string_view instant, std::string_view zone) {
  int64_t days = DaysFromCivil(Number(instant.substr(0, 4)), Number(instant.substr(5, 2)),
                               Number(instant.substr(8, 2)));
  int64_t seconds = days * 86400 + Number(instant.substr(11, 2)) * 3600 +
                    Number(instant.substr(14, 2)) * 60 + Number(instant.substr(17, 2));
  AIRPG_ASSIGN_OR_RETURN(int64_t offset, UtcOffset(zone, seconds));
  int64_t local = seconds + offset;
  int64_t local_days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  return CivilFromDays(local_days);
}

}  // namespace airpg::mapping
