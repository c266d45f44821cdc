// GrantLedger: the Airtable requests that every airpg process sharing one
// AIRPG_HOME was recently granted, kept in one small file
// ($AIRPG_HOME/run/airtable-pacer, format in docs/formats/pacer-ledger.md), so
// that the Pacers of separate processes keep Airtable's limits together:
// Airtable counts a base's requests across all clients. Each handle is one
// owner with its own open file description; flock(2) makes each Transact() one
// critical section across processes and handles. Thread-compatible (the Pacer
// calls it under its own mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace airpg::airtable {

class GrantLedger {
 public:
  // CLOCK_MONOTONIC on Linux: one clock for every process on the machine.
  using Clock = std::chrono::steady_clock;
  using TimeSource = airpg::Clock;

  // Grants in the file; when more than this fall inside one window, the oldest
  // are overwritten and the ledger undercounts. Airtable's token limit is 50
  // per second, so several tokens at full rate still fit.
  static constexpr int kCapacity = 512;

  // What the other owners were granted, read under the file lock.
  struct Others {
    Clock::time_point now;  // read under the lock: no grant in the file is later
    // Grant times inside (now - span, now], oldest first: those for the base
    // asked about (none when it is ""), and those for the token, all bases.
    std::vector<Clock::time_point> base;
    std::vector<Clock::time_point> token;
  };
  // Called under the file lock; returns true to record a grant at `now`.
  using Decide = std::function<bool(const Others&)>;

  // Opens `file`, creating it (mode 0600) and its directory when missing.
  // `server` (the endpoint URL) and `token` scope the keys: processes talking
  // to another server, or with another token, do not share that limit. The
  // token is stored only as part of a SHA-256 digest. kUnavailable when the
  // file cannot be opened. `clock` (null: the system's; must outlive the
  // ledger) is the time grants are recorded in: every owner of one file must
  // share it (tests pass one logical clock to all).
  static Result<std::unique_ptr<GrantLedger>> Open(const std::filesystem::path& file,
                                                   std::string_view server, std::string_view token,
                                                   TimeSource* clock = nullptr);

  ~GrantLedger();
  GrantLedger(const GrantLedger&) = delete;
  GrantLedger& operator=(const GrantLedger&) = delete;

  // Takes the file lock, reads the other owners' grants inside `span` for
  // `base_id` ("" for a request that names no base) and for the token, asks
  // `decide`, appends a grant at Others::now when it says yes, and lets the
  // lock go. Never waits for anything but the lock, which every holder keeps
  // only for one read and one append. A file too short or not in this format
  // counts as empty and is rewritten. Errors: kUnavailable on failed I/O.
  Status Transact(std::string_view base_id, Clock::duration span, const Decide& decide);

  uint64_t owner() const { return owner_; }

 private:
  GrantLedger(int fd, std::string server, uint64_t token_key, uint64_t owner, TimeSource& clock);

  uint64_t BaseKey(std::string_view base_id) const;

  const int fd_;
  const std::string server_;
  const uint64_t token_key_;
  const uint64_t owner_;  // random, never 0 (0 marks an empty slot)
  TimeSource& clock_;
};

}  // namespace airpg::airtable
