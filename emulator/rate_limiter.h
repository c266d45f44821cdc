// RateLimiter: Airtable's request limits (API.md §3) — at most `per_base`
// requests in any window of `window_millis` per base and `per_token` per
// token; the request that goes over answers 429 and starts a penalty during
// which every request for that base (or token) answers 429. Time is the
// emulated clock, so tests are deterministic. Counts feed /__emulator/stats.
// Thread-compatible: guarded by the emulator's lock.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "emulator/model.h"

namespace airpg::emulator {

class RateLimiter {
 public:
  struct Config {
    bool enabled = true;
    int per_base = 5;
    int per_token = 50;
    int64_t window_millis = 1000;
    int64_t penalty_millis = 30000;
  };

  explicit RateLimiter(Config config) : config_(config) {}

  const Config& config() const { return config_; }
  // New settings apply at once; penalties already running are lifted.
  void set_config(const Config& config);

  // Counts one request; false when it must be answered with 429. `base_id`
  // is empty for requests that name no base (whoami, list bases).
  bool Admit(const std::string& base_id, const std::string& token, int64_t now_millis);

  // {"requests","rateLimited","bases":{id:{requests,rateLimited,penaltyUntil?}},"tokens":{…}}
  // Tokens are shown by their first 6 characters only.
  Json Stats(int64_t now_millis) const;
  void ResetCounters();

 private:
  struct Bucket {
    std::deque<int64_t> recent;  // admitted request times inside the window
    int64_t penalty_until = 0;
    int64_t requests = 0;
    int64_t limited = 0;
  };
  // Whether `bucket` would admit one more request under `limit`; starts the
  // penalty when it would not.
  bool Check(Bucket& bucket, int limit, int64_t now_millis);

  Config config_;
  std::map<std::string, Bucket> bases_;
  std::map<std::string, Bucket> tokens_;
  int64_t requests_ = 0;
  int64_t limited_ = 0;
};

}  // namespace airpg::emulator
