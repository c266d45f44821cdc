// Backoff: exponential delays with full jitter, bounded in attempts and in
// total time, for retrying transient failures (5xx, lost connections).
// Deterministic for a given seed, so tests can check the schedule.
// Thread-compatible: one Backoff per retried operation.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace airpg {

struct BackoffPolicy {
  std::chrono::milliseconds initial{250};
  std::chrono::milliseconds max_delay{30000};
  double multiplier = 2.0;
  int max_attempts = 8;                         // retries after the first try
  std::chrono::milliseconds max_total{120000};  // sum of all delays
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy, uint64_t seed = std::random_device{}());

  // The delay before the next retry, uniform in [0, min(max_delay, initial *
  // multiplier^n)]; nullopt once the attempts or the total time are spent.
  std::optional<std::chrono::milliseconds> Next();

  int attempts() const { return attempts_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 random_;
  int attempts_ = 0;
  std::chrono::milliseconds spent_{0};
};

}  // namespace airpg
