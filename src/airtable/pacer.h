// Pacer: the one gate every Airtable request passes, shared by every job in
// the process. Airtable allows 5 requests/s per base to all of its clients
// together, and during a migration the organisation's own apps still use the
// base, so airpg keeps each base under a budget below that (4/s by default,
// airtable.per_base_limit) and spaces its requests evenly over the second: a
// burst of work never takes the whole second from a neighbour. The token stays
// under its own limit (50/s). Waiting requests are served strictly by
// priority class (applications' requests through serve before writes before
// incremental sync before backfill before verification; FIFO within a class), and a class that just
// had a grant keeps the next slot a little while (reserve_slots).
//
// A 429 for a base while airpg's own requests in the window were within what
// Airtable allows is another client's doing: the base's rate is cut (AIMD:
// multiplicative decrease), nothing goes out for the penalty plus jitter, then
// one request, a slow start and an additive climb back to the budget. A 429
// airpg caused itself (a budget above Airtable's limit) only waits out the
// penalty, as a pacing bug. With a GrantLedger the limits hold across all the
// processes sharing it (priority order holds within a process only). Time and
// waits go through a Clock (tests run it on logical time).
// Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>

#include "airtable/grant_ledger.h"
#include "airtable/sliding_window.h"
#include "base/clock.h"
#include "base/status.h"

namespace airpg::airtable {

// kApplication: a request `airpg serve` forwards for an application (airtable
// and shadow routes, Meta API writes); issue 17 gives it the base's budget
// ahead of all of airpg's own work, the outbox included.
enum class Priority {
  kApplication = 0,
  kWrite = 1,
  kIncremental = 2,
  kBackfill = 3,
  kVerification = 4,
};
inline constexpr size_t kPriorityClasses = 5;

struct PacerLimits {
  // The budget: requests per window for one base. Airtable allows 5 to all
  // clients together; airpg's commands set it from airtable.per_base_limit
  // (3 by default, leaving two a second to the base's other clients).
  int per_base = 4;
  int per_token = 50;  // requests per window for the token, all bases together
  std::chrono::milliseconds window{1000};
  // Added to the window: the pacer counts grants, Airtable counts arrivals,
  // and the two drift by scheduling and network delay.
  std::chrono::milliseconds margin{20};
  // What Airtable allows one base per window, all clients together. A 429
  // when airpg's own requests in the last window were no more is foreign.
  int airtable_per_base = 5;
  // After a foreign 429 the first request waits the penalty plus a random
  // share of this, so that clients held back together do not resume together.
  std::chrono::milliseconds resume_jitter{2000};
  uint64_t seed = 0;  // of the jitter; 0: random
  // After a grant to a class, a lower class waits this many of the base's
  // slots (window ÷ rate) before it may take one, so a writer that is still
  // recording its last outcome when the next slot opens keeps it (the
  // outbox's 10-record requests are the ceiling of two-way throughput).
  // Only right after the higher class goes: then at most one slot is lost
  // to the lower classes, never the budget. 0: strictly by the queue.
  double reserve_slots = 1.5;
};

struct PacerStats {
  int64_t granted = 0;
  int64_t waited = 0;     // grants that had to wait
  int64_t penalties = 0;  // 429s airpg caused itself: each one is a pacing bug
  int64_t foreign = 0;    // 429s another client of the base caused
  int64_t waiting = 0;    // requests queued right now (queue depth)
};

// One base as the pacer sees it.
struct PacerBaseStats {
  int64_t granted = 0;
  int64_t foreign = 0;       // 429s another client caused
  int rate = 0;              // requests per window allowed now (the budget, or less after a 429)
  bool backing_off = false;  // since a foreign 429, until back at the budget
};

// Who a 429 is owed to.
enum class RateLimitCause { kOurs, kAnotherClient };

class Pacer {
 public:
  // Told of every grant, under the pacer's lock (keep it short): the base
  // ("" for none) and the time the pacer counted. For metrics and tests.
  using GrantObserver =
      std::function<void(std::string_view base_id, std::chrono::steady_clock::time_point at)>;

  // `ledger` (may be null: pace this process only) is shared with other
  // processes; its file lock is taken under the pacer's lock, only for one
  // read and one append, and never held while waiting. `clock` (null: the
  // system's) must outlive the pacer and be the ledger's clock.
  explicit Pacer(PacerLimits limits = {}, GrantObserver observer = nullptr,
                 std::unique_ptr<GrantLedger> ledger = nullptr, Clock* clock = nullptr);

  // Blocks until one request to `base_id` may go out. `base_id` empty: a
  // request that names no base (whoami, list bases) counts for the token only.
  // Returns kCancelled at once when `stop` is stopped while waiting (a
  // signal reaches it through base/stop.h's SignalStop).
  Status Acquire(std::string_view base_id, Priority priority, std::stop_token stop = {});

  // After a 429 for `base_id` (empty: for the token): tells whose it was, and
  // holds the base (or everything) back for `penalty`; a foreign one also
  // cuts the base's rate and adds the jitter (see the top of this file).
  RateLimitCause OnRateLimited(std::string_view base_id, std::chrono::milliseconds penalty);

  // Nothing goes to `base_id` (or anywhere, when empty) for `penalty`.
  void Penalize(std::string_view base_id, std::chrono::milliseconds penalty);

  PacerStats stats() const;
  PacerBaseStats base_stats(std::string_view base_id) const;
  const PacerLimits& limits() const { return limits_; }
  Clock& clock() const { return clock_; }

 private:
  struct Waiter {
    int priority;
    uint64_t seq;
    bool operator<(const Waiter& o) const {
      return priority != o.priority ? priority < o.priority : seq < o.seq;
    }
  };
  struct BaseState {
    explicit BaseState(const PacerLimits& l)
        : window(l.per_base, l.window + l.margin, /*spaced=*/true), threshold(l.per_base) {}
    SlidingWindow window;          // its limit() is the rate allowed now
    std::map<Waiter, bool> queue;  // ordered: the first entry goes next
    // AIMD after a foreign 429: below `threshold` the rate doubles after each
    // `rate` grants (slow start), from there it grows by one, up to the budget.
    int threshold;
    int granted_at_rate = 0;
    bool backing_off = false;
    Clock::time_point resume_at{};  // the end of the current penalty
    int64_t granted = 0;
    int64_t foreign = 0;
    // The last grant of each priority class (reserve_slots).
    std::array<Clock::time_point, kPriorityClasses> last_by_priority{};
  };

  BaseState& StateFor(const std::string& base_id);  // REQUIRES: mu_ held

  // After a grant to `base_id`: the slow start and the additive climb.
  // REQUIRES: mu_ held.
  void Climb(const std::string& base_id, BaseState& state);

  // Until when a request of `priority` leaves the base's next slot to a
  // higher class that just had one (reserve_slots). REQUIRES: mu_ held.
  Clock::time_point ReservedUntil(const BaseState& state, int priority) const;

  // This process's and (with a ledger) the other processes' grants for the
  // base inside the last window. REQUIRES: mu_ held.
  int OwnGrantsInWindow(const std::string& base_id, const BaseState& state, Clock::time_point now);

  // For a grant the in-process windows allow at `*now`, asks the ledger
  // whether other processes' grants leave room. Room: the ledger recorded the
  // grant, `*now` moves to the time it counted, and that time is returned.
  // No room: returns when the first grant in the way leaves the window (later
  // than `*now`). A ledger that fails is logged once; the grants it fails
  // for are paced in-process only.
  // REQUIRES: mu_ held; ledger_ not null.
  Clock::time_point SharedGrant(const std::string& base_id, const BaseState& state,
                                Clock::time_point* now);

  void NotifyAll();  // REQUIRES: mu_ held

  const PacerLimits limits_;
  const GrantObserver observer_;
  const std::unique_ptr<GrantLedger> ledger_;  // null: this process only; used under mu_
  Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  uint64_t notifications_ = 0;              // guarded by mu_; a waiter wakes when it moves
  SlidingWindow token_window_;              // guarded by mu_
  std::map<std::string, BaseState> bases_;  // guarded by mu_; "" = no base
  uint64_t next_seq_ = 0;                   // guarded by mu_
  PacerStats stats_;                        // guarded by mu_
  bool ledger_failed_ = false;              // guarded by mu_; reported once
  std::mt19937_64 random_;                  // guarded by mu_; the jitter
};

}  // namespace airpg::airtable
