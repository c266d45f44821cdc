#include "emulator/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace airpg::emulator {

int64_t EmulatorClock::WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t EmulatorClock::NowMillis() const {
  std::lock_guard lock(mu_);
  return frozen_ ? frozen_at_ : WallMillis() + offset_millis_;
}

void EmulatorClock::Freeze(int64_t millis) {
  std::lock_guard lock(mu_);
  frozen_ = true;
  frozen_at_ = millis;
}

void EmulatorClock::Unfreeze() {
  std::lock_guard lock(mu_);
  if (!frozen_) return;
  offset_millis_ = frozen_at_ - WallMillis();
  frozen_ = false;
}

void EmulatorClock::Advance(int64_t millis) {
  std::lock_guard lock(mu_);
  if (frozen_) {
    frozen_at_ += millis;
  } else {
    offset_millis_ += millis;
  }
}

bool EmulatorClock::frozen() const {
  std::lock_guard lock(mu_);
  return frozen_;
}

}  // namespace airpg::emulator
