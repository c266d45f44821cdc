// TZif reader (RFC 8536) and the cached system zone lookup.
#include "formula/time_zone.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

namespace airpg::formula {
namespace {

int64_t ReadBig(std::string_view b, size_t at, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  if (width == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

}  // namespace

TimeZone TimeZone::FixedOffset(std::string name, int offset_seconds) {
  TimeZone tz;
  tz.name_ = std::move(name);
  tz.initial_offset_ = offset_seconds;
  return tz;
}

Result<TimeZone> TimeZone::FromTzif(std::string name, std::string_view b) {
  auto bad = [&] { return InvalidArgumentError("not TZif data for zone " + name); };
  if (b.size() < 44 || b.substr(0, 4) != "TZif") return bad();
  auto counts = [&](size_t at, int64_t c[6]) {
    for (int i = 0; i < 6; ++i) c[i] = ReadBig(b, at + 20 + 4 * i, 4);
  };
  int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  counts(0, c);
  size_t header = 0;
  int width = 4;
  if (b[4] >= '2') {
    size_t v1_len = 44 + c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    if (b.size() < v1_len + 44) return bad();
    header = v1_len;
    counts(header, c);
    width = 8;
  }
  size_t at = header + 44;
  size_t need = c[3] * width + c[3] + c[4] * 6;
  if (c[4] < 1 || b.size() < at + need) return bad();
  TimeZone tz;
  tz.name_ = std::move(name);
  std::vector<int> type_offsets(c[4]);
  std::vector<std::string> type_abbreviations(c[4]);
  size_t types_at = at + c[3] * width + c[3];
  size_t chars_at = types_at + c[4] * 6;
  std::string_view chars = b.size() >= chars_at + c[5] ? b.substr(chars_at, c[5]) : "";
  for (int64_t t = 0; t < c[4]; ++t) {
    type_offsets[t] = static_cast<int>(ReadBig(b, types_at + t * 6, 4));
    size_t index = static_cast<unsigned char>(b[types_at + t * 6 + 5]);
    if (index < chars.size()) {
      std::string_view rest = chars.substr(index);
      type_abbreviations[t] = std::string(rest.substr(0, rest.find('\0')));
    }
  }
  tz.initial_offset_ = type_offsets[0];
  tz.initial_abbreviation_ = type_abbreviations[0];
  for (int64_t i = 0; i < c[3]; ++i) {
    tz.transitions_.push_back(ReadBig(b, at + i * width, width));
    unsigned idx = static_cast<unsigned char>(b[at + c[3] * width + i]);
    if (idx >= type_offsets.size()) return bad();
    tz.offsets_.push_back(type_offsets[idx]);
    tz.abbreviations_.push_back(type_abbreviations[idx]);
  }
  return tz;
}

int TimeZone::OffsetAt(int64_t utc_millis) const {
  int64_t seconds = utc_millis / 1000 - (utc_millis % 1000 < 0 ? 1 : 0);
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), seconds);
  if (it == transitions_.begin()) return initial_offset_;
  return offsets_[it - transitions_.begin() - 1];
}

const std::string& TimeZone::AbbreviationAt(int64_t utc_millis) const {
  int64_t seconds = utc_millis / 1000 - (utc_millis % 1000 < 0 ? 1 : 0);
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), seconds);
  if (it == transitions_.begin()) return initial_abbreviation_;
  return abbreviations_[it - transitions_.begin() - 1];
}

TimeZoneLookup SystemTimeZones() {
  struct Cache {
    std::mutex mu;
    std::map<std::string, std::unique_ptr<TimeZone>, std::less<>> zones;  // guarded by mu
  };
  static Cache cache;  // zones live until exit, outliving every evaluation
  return [](std::string_view name) -> const TimeZone* {
    std::lock_guard<std::mutex> lock(cache.mu);
    auto found = cache.zones.find(name);
    if (found != cache.zones.end()) return found->second.get();
    // Names are IANA ids: letters, digits, '_', '-', '+', '/'; no "..".
    bool safe = !name.empty() && name.find("..") == std::string_view::npos && name[0] != '/';
    for (char ch : name) {
      if (!(isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '+' ||
            ch == '/')) {
        safe = false;
      }
    }
    std::unique_ptr<TimeZone> zone;
    if (safe) {
      std::ifstream in("/usr/share/zoneinfo/" + std::string(name), std::ios::binary);
      if (in) {
        std::stringstream bytes;
        bytes << in.rdbuf();
        auto parsed = TimeZone::FromTzif(std::string(name), bytes.str());
        if (parsed.ok()) zone = std::make_unique<TimeZone>(std::move(*parsed));
      }
    }
    const TimeZone* result = zone.get();
    cache.zones.emplace(std::string(name), std::move(zone));
    return result;
  };
}

}  // namespace airpg::formula
