// FaultInjector: failures the emulator adds on purpose so clients' retry and
// recovery paths can be tested (docs/emulator.md): a probability of 500, 502,
// 503 or 429 per API request, added latency, truncated bodies, and
// deterministic "the next N requests fail with status S" queues.
// Thread-compatible: guarded by the service lock.
#pragma once

#include <cstdint>
#include <optional>
#include <random>

#include "emulator/model.h"
#include "emulator/wire.h"

namespace airpg::emulator {

class FaultInjector {
 public:
  struct Config {
    double error_500 = 0;  // probabilities in [0, 1]
    double error_502 = 0;
    double error_503 = 0;
    double error_429 = 0;
    double truncate = 0;         // probability of cutting a 200 body in half
    int64_t latency_millis = 0;  // added before every API response
    // Added before every attachment download (signed URL), for tests of
    // what a slow content host must not block.
    int64_t attachment_latency_millis = 0;
    double drop_ping = 0;       // probability a webhook ping is never sent
    double duplicate_ping = 0;  // probability a webhook ping is sent twice
  };

  explicit FaultInjector(uint64_t seed) : rng_(seed) {}

  // Reads {"error500","error502","error503","error429","truncate","latencyMs",
  // "attachmentLatencyMs","dropPing","duplicatePing","failNext":{"status":S,"count":N}} (any
  // subset); returns the resulting settings as JSON. 422 when a value is out of range.
  ApiResult<Json> Configure(const Json& body);
  Json ToJson() const;

  // The error this request should get instead of its real answer, if any.
  std::optional<ApiError> NextError();
  // Whether this request's successful body should be truncated.
  bool NextTruncate();
  // How many copies of the next webhook ping to send: 0 (dropped), 1 or 2.
  int NextPingCopies();
  int64_t latency_millis() const { return config_.latency_millis; }
  int64_t attachment_latency_millis() const { return config_.attachment_latency_millis; }
  int64_t injected() const { return injected_; }

 private:
  bool Roll(double probability);

  Config config_;
  int fail_next_status_ = 0;
  int64_t fail_next_count_ = 0;
  int64_t injected_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace airpg::emulator
