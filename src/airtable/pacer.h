// Pacer: the one gate every Airtable request passes, shared by every job in
// the process. It keeps each base under its limit (5 requests/s) and the
// token under its own (50/s) so that 429s do not happen by design, serves
// waiting requests strictly by priority class (writes before incremental
// sync before backfill before verification; FIFO within a class), and holds a
// base back for the penalty after a 429. Airtable counts every client's
// requests, so with a GrantLedger the limits hold across all the processes
// sharing it: a grant the in-process windows allow goes out only when the
// ledger's grants of other processes leave room too (priority order holds
// within a process only). Without a ledger it paces this process alone.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "airtable/grant_ledger.h"
#include "airtable/sliding_window.h"
#include "base/status.h"

namespace airpg::airtable {

enum class Priority { kWrite = 0, kIncremental = 1, kBackfill = 2, kVerification = 3 };

struct PacerLimits {
  int per_base = 5;    // requests per window for one base
  int per_token = 50;  // requests per window for the token, all bases together
  std::chrono::milliseconds window{1000};
  // Added to the window: the pacer counts grants, Airtable counts arrivals,
  // and the two drift by scheduling and network delay. 20 ms keeps 0.98 of
  // the limit.
  std::chrono::milliseconds margin{20};
};

struct PacerStats {
  int64_t granted = 0;
  int64_t waited = 0;     // grants that had to wait
  int64_t penalties = 0;  // Penalize() calls: each one is a pacing bug
  int64_t waiting = 0;    // requests queued right now (queue depth)
};

class Pacer {
 public:
  // Told of every grant, under the pacer's lock (keep it short): the base
  // ("" for none) and the time the pacer counted. For metrics and tests.
  using GrantObserver =
      std::function<void(std::string_view base_id, std::chrono::steady_clock::time_point at)>;

  // `ledger` (may be null: pace this process only) is shared with other
  // processes; its file lock is taken under the pacer's lock, only for one
  // read and one append, and never held while waiting.
  explicit Pacer(PacerLimits limits = {}, GrantObserver observer = nullptr,
                 std::unique_ptr<GrantLedger> ledger = nullptr);

  // Blocks until one request to `base_id` may go out. `base_id` empty: a
  // request that names no base (whoami, list bases) counts for the token only.
  // Returns kCancelled when `stop` becomes true while waiting (checked at
  // least every 100 ms).
  Status Acquire(std::string_view base_id, Priority priority,
                 const std::atomic<bool>* stop = nullptr);

  // After a 429: nothing goes to `base_id` (or anywhere, when empty) for `penalty`.
  void Penalize(std::string_view base_id, std::chrono::milliseconds penalty);

  PacerStats stats() const;
  const PacerLimits& limits() const { return limits_; }

 private:
  struct Waiter {
    int priority;
    uint64_t seq;
    bool operator<(const Waiter& o) const {
      return priority != o.priority ? priority < o.priority : seq < o.seq;
    }
  };
  struct BaseState {
    explicit BaseState(const PacerLimits& l) : window(l.per_base, l.window + l.margin) {}
    SlidingWindow window;
    std::map<Waiter, bool> queue;  // ordered: the first entry goes next
  };

  BaseState& StateFor(const std::string& base_id);  // REQUIRES: mu_ held

  // For a grant the in-process windows allow at `*now`, asks the ledger
  // whether other processes' grants leave room. Room: the ledger recorded the
  // grant, `*now` moves to the time it counted, and that time is returned.
  // No room: returns when the first grant in the way leaves the window (later
  // than `*now`). A ledger that fails is logged once; the grants it fails
  // for are paced in-process only.
  // REQUIRES: mu_ held; ledger_ not null.
  std::chrono::steady_clock::time_point SharedGrant(const std::string& base_id,
                                                    const BaseState& state,
                                                    std::chrono::steady_clock::time_point* now);

  const PacerLimits limits_;
  const GrantObserver observer_;
  const std::unique_ptr<GrantLedger> ledger_;  // null: this process only; used under mu_
  mutable std::mutex mu_;
  std::condition_variable cv_;
  SlidingWindow token_window_;              // guarded by mu_
  std::map<std::string, BaseState> bases_;  // guarded by mu_; "" = no base
  uint64_t next_seq_ = 0;                   // guarded by mu_
  PacerStats stats_;                        // guarded by mu_
  bool ledger_failed_ = false;              // guarded by mu_; reported once
};

}  // namespace airpg::airtable
