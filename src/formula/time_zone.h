// TimeZone: UTC offsets of one IANA zone over time, read from TZif data
// (the format of /usr/share/zoneinfo), for SET_TIMEZONE and DATETIME_FORMAT.
// g++ 12's libstdc++ has no std::chrono::tzdb, hence this small reader.
// Thread-compatible; a loaded zone is immutable and safe to share read-only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace airpg::formula {

class TimeZone {
 public:
  // A zone with one fixed offset (UTC is FixedOffset("UTC", 0)).
  static TimeZone FixedOffset(std::string name, int offset_seconds);
  // Parses TZif bytes (versions 1–4; the 64-bit block when present). Instants
  // after the last transition keep the last offset.
  static Result<TimeZone> FromTzif(std::string name, std::string_view bytes);

  const std::string& name() const { return name_; }
  // Seconds to add to UTC to get local wall time at the UTC instant.
  int OffsetAt(int64_t utc_millis) const;
  // The zone's abbreviation in force at the instant ("EST", "CEST", "+03"),
  // as DATETIME_FORMAT's `z` prints it; "" when the data has none.
  const std::string& AbbreviationAt(int64_t utc_millis) const;

 private:
  std::string name_;
  std::vector<int64_t> transitions_;        // UTC seconds, ascending
  std::vector<int> offsets_;                // offset in force from transitions_[i]
  std::vector<std::string> abbreviations_;  // abbreviation in force from transitions_[i]
  int initial_offset_ = 0;
  std::string initial_abbreviation_;
};

// Finds a zone by IANA name; nullptr when unknown. Owned by the caller and
// kept alive for the evaluation.
using TimeZoneLookup = std::function<const TimeZone*(std::string_view name)>;

// A lookup over /usr/share/zoneinfo that caches each zone it reads (the only
// file access in src/formula; callers may pass their own lookup instead).
// Thread-safe (guarded by an internal mutex); zones live as long as the process.
TimeZoneLookup SystemTimeZones();

}  // namespace airpg::formula
