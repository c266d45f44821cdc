#include "base/backoff.h"

#include <algorithm>
#include <cmath>

namespace airpg {

Backoff::Backoff(BackoffPolicy policy, uint64_t seed) : policy_(policy), random_(seed) {}

std::optional<std::chrono::milliseconds> Backoff::Next() {
  if (attempts_ >= policy_.max_attempts) return std::nullopt;
  double ceiling = static_cast<double>(policy_.initial.count()) *
                   std::pow(policy_.multiplier, static_cast<double>(attempts_));
  ceiling = std::min(ceiling, static_cast<double>(policy_.max_delay.count()));
  // Full jitter: many clients retrying together spread out instead of colliding.
  std::uniform_real_distribution<double> jitter(0.0, ceiling);
  std::chrono::milliseconds delay(static_cast<int64_t>(jitter(random_)));
  if (spent_ + delay > policy_.max_total) return std::nullopt;
  ++attempts_;
  spent_ += delay;
  return delay;
}

}  // namespace airpg
