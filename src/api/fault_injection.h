// FaultInjection: opt-in failures `airpg serve` answers on purpose, so an
// application's tests can check its client's retry against airpg as they
// would against airtable-emulator (off unless `serve --inject-faults` or
// AIRPG_SERVE_INJECT_FAULTS=1; never on in production). The control
// endpoints take the emulator's shapes, under airpg's own prefix:
//   POST /__airpg/faults {"failNext":{"status":429,"count":N}}  (N default 1)
//   GET  /__airpg/stats  {"faultsInjected":N}
// The next N API requests (/v0/…) then get Airtable's error body for that
// status before they reach Postgres or Airtable. It sits in front of the API
// handler, so it behaves the same in every route mode.
// Thread-safe: the counters are guarded by a mutex.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>

#include "http/message.h"

namespace airpg::api {

class FaultInjection {
 public:
  static constexpr char kPrefix[] = "/__airpg/";

  // The answer to `request` when it is a control request or draws a fault;
  // nullopt: serve it normally.
  std::optional<http::Response> Intercept(const http::Request& request);

  int64_t injected() const;

 private:
  mutable std::mutex mu_;
  int fail_status_ = 0;     // guarded by mu_
  int64_t fail_count_ = 0;  // guarded by mu_
  int64_t injected_ = 0;    // guarded by mu_
};

}  // namespace airpg::api
