// Emulator: an offline stand-in for the Airtable Web API, served over HTTP on
// a loopback port. Tests start it in-process on port 0 and point clients at
// url(); the airtable-emulator binary wraps the same class. Behaviour where
// Airtable is UNCONFIRMED is set by Options and listed in docs/emulator.md.
// Thread-safe: requests are served concurrently; state sits behind one mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "emulator/cell_rules.h"
#include "http/message.h"

namespace airpg::emulator {

struct EmulatorOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: a free port, see Emulator::port()
  int threads = 32;
  // Initial state: a data file path, or the JSON text itself (tests).
  std::string data_path;
  std::string data_json;
  // Where Stop() writes the state; empty: nothing is saved.
  std::string save_path;
  // Bearer tokens accepted; empty: any non-empty bearer token.
  std::vector<std::string> tokens;
  // Rate limits (API.md §3).
  bool rate_limits = true;
  int per_base_per_second = 5;
  int per_token_per_second = 50;
  int64_t penalty_millis = 30000;
  // Idle lifetime of list-records offsets (UNCONFIRMED upstream).
  int64_t offset_ttl_millis = 10 * 60 * 1000;
  // Records per create/update/delete request (documented 10).
  int max_records_per_request = 10;
  // Missing record on single GET/PATCH/PUT/DELETE: 403 (default, per the
  // live reports in API.md §4) or 404 MODEL_ID_NOT_FOUND.
  bool missing_record_is_404 = false;
  // createdTime/lastModifiedTime with a date result, broken lookups/rollups/
  // counts (UNCONFIRMED renderings, see cell_rules.h).
  CellRules cell_rules;
  // Start with the clock frozen at this time (epoch millis).
  std::optional<int64_t> frozen_clock_millis;
  uint64_t seed = 20240101;
  // Which URLs written into attachment cells are fetched, so the attachment
  // serves their bytes as Airtable's copy would: "loopback" (127.0.0.1,
  // localhost, [::1]: tests and airpg's signed blob URLs, no network),
  // "all" or "none". Others serve placeholder bytes.
  std::string fetch_attachment_urls = "loopback";
};

class Emulator {
 public:
  // Loads the state and starts serving. Errors: bad data file
  // (kInvalidArgument/kNotFound), port in use (kUnavailable).
  static Result<std::unique_ptr<Emulator>> Start(const EmulatorOptions& options);

  ~Emulator();  // Stop()
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  int port() const;
  // "http://127.0.0.1:PORT" — what AIRTABLE_ENDPOINT_URL should be.
  std::string url() const;

  // Serves one request without the network (benchmarks, unit tests).
  http::Response Handle(const http::Request& request);

  // Stops serving and, when save_path is set, writes the state. Idempotent.
  Status Stop();

  // The emulated clock (also reachable at /__emulator/clock).
  int64_t NowMillis() const;
  void FreezeClock(int64_t millis);
  void AdvanceClock(int64_t millis);

  struct Impl;

 private:
  explicit Emulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace airpg::emulator
