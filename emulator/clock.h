// EmulatorClock: the emulator's notion of now. Runs with the wall clock by
// default; tests and the /__emulator/clock endpoint freeze it, set it or move
// it forward, so expiries (offsets, rate-limit penalties, webhooks) are
// deterministic. Thread-safe (one mutex).
#pragma once

#include "airtable/wire/iso_time.h"

#include <cstdint>
#include <mutex>
#include <string>

namespace airpg::emulator {

class EmulatorClock {
 public:
  // Milliseconds since the Unix epoch, as the emulator sees them.
  int64_t NowMillis() const;

  // Stops the clock at `millis`; it then moves only by Advance().
  void Freeze(int64_t millis);
  // Lets the clock run with the wall clock again, keeping the current offset.
  void Unfreeze();
  void Advance(int64_t millis);
  bool frozen() const;

 private:
  static int64_t WallMillis();

  mutable std::mutex mu_;
  bool frozen_ = false;        // guarded by mu_
  int64_t frozen_at_ = 0;      // guarded by mu_; the time while frozen
  int64_t offset_millis_ = 0;  // guarded by mu_; added to wall time when running
};

// ISO instants are the wire format's (src/airtable/wire/iso_time.h).
using airtable::wire::FormatIsoMillis;
using airtable::wire::ParseIsoMillis;

}  // namespace airpg::emulator
