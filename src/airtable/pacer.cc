#include "airtable/pacer.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "base/log.h"

namespace airpg::airtable {
namespace {

using TimePoint = Clock::time_point;

// When one more grant fits under `limit` in any window of `span`, given the
// grants of other processes (`theirs`, oldest first) and this one's (`mine`,
// oldest first): min() when it fits now (after `from`, the start of the
// current window).
TimePoint RoomAt(const std::vector<TimePoint>& theirs, const std::deque<TimePoint>& mine,
                 TimePoint from, int limit, Clock::duration span) {
  std::vector<TimePoint> all;
  for (TimePoint t : theirs) all.push_back(t);
  for (TimePoint t : mine) {
    if (t > from) all.push_back(t);
  }
  if (static_cast<int>(all.size()) < limit) return TimePoint::min();
  std::sort(all.begin(), all.end());
  // Room once no more than limit - 1 of them remain inside the window.
  return all[all.size() - static_cast<size_t>(limit)] + span;
}

uint64_t SeedFor(const PacerLimits& limits) {
  if (limits.seed != 0) return limits.seed;
  std::random_device random;
  return (static_cast<uint64_t>(random()) << 32) ^ random();
}

}  // namespace

Pacer::Pacer(PacerLimits limits, GrantObserver observer, std::unique_ptr<GrantLedger> ledger,
             Clock* clock)
    : limits_(limits),
      observer_(std::move(observer)),
      ledger_(std::move(ledger)),
      clock_(clock != nullptr ? *clock : SystemClock()),
      token_window_(limits.per_token, limits.window + limits.margin),
      random_(SeedFor(limits)) {}

Pacer::BaseState& Pacer::StateFor(const std::string& base_id) {
  auto it = bases_.find(base_id);
  if (it == bases_.end()) it = bases_.emplace(base_id, BaseState(limits_)).first;
  return it->second;
}

void Pacer::NotifyAll() {
  ++notifications_;
  cv_.notify_all();
}

TimePoint Pacer::SharedGrant(const std::string& base_id, const BaseState& state, TimePoint* now) {
  const Clock::duration span = limits_.window + limits_.margin;
  TimePoint granted_at{};
  std::optional<TimePoint> retry_at;
  Status s = ledger_->Transact(base_id, span, [&](const GrantLedger::Others& others) {
    TimePoint from = others.now - span;
    TimePoint room = RoomAt(others.token, token_window_.grants(), from, limits_.per_token, span);
    if (!base_id.empty()) {
      room = std::max(room,
                      RoomAt(others.base, state.window.grants(), from, state.window.limit(), span));
    }
    if (room > others.now) {
      retry_at = room;
      return false;
    }
    granted_at = others.now;
    return true;
  });
  if (!s.ok()) {
    if (!ledger_failed_) {
      log::Warn("Airtable pacing across airpg processes is off, this one paces itself only: {}",
                s.ToString());
      ledger_failed_ = true;
    }
    return *now;
  }
  if (retry_at) return *retry_at;
  *now = std::max(*now, granted_at);
  return *now;
}

void Pacer::Climb(const std::string& base_id, BaseState& state) {
  const int rate = state.window.limit();
  if (rate >= limits_.per_base || ++state.granted_at_rate < rate) return;
  // A window's worth of grants at this rate went out: the next rate.
  int next = rate < state.threshold ? std::min(state.threshold, rate * 2) : rate + 1;
  next = std::min(next, limits_.per_base);
  state.window.set_limit(next);
  state.granted_at_rate = 0;
  if (next == limits_.per_base && state.backing_off) {
    state.backing_off = false;
    log::Info("Airtable base {}: back to airpg's full budget of {} requests/s", base_id,
              limits_.per_base);
  }
}

Status Pacer::Acquire(std::string_view base_id, Priority priority, std::stop_token stop) {
  std::unique_lock<std::mutex> lock(mu_);
  std::string key(base_id);
  Waiter me{static_cast<int>(priority), next_seq_++};
  StateFor(key).queue.emplace(me, true);
  bool waited = false;
  while (true) {
    BaseState& state = StateFor(key);
    if (stop.stop_requested()) {
      state.queue.erase(me);
      NotifyAll();
      return CancelledError("stopped while waiting for the Airtable rate limit");
    }
    TimePoint now = clock_.Now();
    // Only the first waiter of a base may go; it goes when both windows
    // allow. The others wait for a notification (a grant, a cancel).
    TimePoint wake = Clock::kNever;
    if (state.queue.begin()->first.seq == me.seq) {
      // A request that names no base counts for the token only.
      TimePoint at = token_window_.NextAllowed(now);
      if (!key.empty()) at = std::max(at, state.window.NextAllowed(now));
      if (!key.empty()) at = std::max(at, ReservedUntil(state, me.priority));
      // Other processes' grants can only make it later; when they leave room,
      // the ledger has recorded this grant and `now` is the time it counted.
      if (at <= now && ledger_ != nullptr) at = SharedGrant(key, state, &now);
      if (at <= now) {
        if (!key.empty()) {
          state.window.Grant(now);
          state.last_by_priority[static_cast<size_t>(me.priority)] = now;
          ++state.granted;
          Climb(key, state);
        }
        token_window_.Grant(now);
        state.queue.erase(me);
        ++stats_.granted;
        if (waited) ++stats_.waited;
        if (observer_) observer_(key, now);
        NotifyAll();
        return Status::Ok();
      }
      wake = at;
    }
    waited = true;
    const uint64_t seen = notifications_;
    clock_.WaitUntil(lock, cv_, wake, stop, [&] { return notifications_ != seen; });
  }
}

TimePoint Pacer::ReservedUntil(const BaseState& state, int priority) const {
  TimePoint until{};
  if (limits_.reserve_slots <= 0 || state.window.limit() <= 0) return until;
  const auto slot = (limits_.window + limits_.margin) / state.window.limit();
  const auto reserve = std::chrono::duration_cast<Clock::duration>(slot * limits_.reserve_slots);
  for (int higher = 0; higher < priority; ++higher) {
    const TimePoint last = state.last_by_priority[static_cast<size_t>(higher)];
    if (last != TimePoint{}) until = std::max(until, last + reserve);
  }
  return until;
}

int Pacer::OwnGrantsInWindow(const std::string& base_id, const BaseState& state, TimePoint now) {
  const Clock::duration span = limits_.window + limits_.margin;
  int own = 0;
  for (TimePoint t : state.window.grants()) {
    if (t > now - span) ++own;
  }
  if (ledger_ != nullptr) {
    Status s = ledger_->Transact(base_id, span, [&](const GrantLedger::Others& others) {
      own += static_cast<int>(others.base.size());
      return false;  // a look only, no grant
    });
    if (!s.ok()) own = limits_.airtable_per_base + 1;  // unknown: assume it was ours
  }
  return own;
}

RateLimitCause Pacer::OnRateLimited(std::string_view base_id, std::chrono::milliseconds penalty) {
  if (base_id.empty()) {
    Penalize(base_id, penalty);
    return RateLimitCause::kOurs;
  }
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key(base_id);
  BaseState& state = StateFor(key);
  const TimePoint now = clock_.Now();
  const int own = OwnGrantsInWindow(key, state, now);
  if (own > limits_.airtable_per_base) {
    // More than Airtable allows went out from airpg itself: a budget set
    // above Airtable's limit. Wait out the penalty, change nothing else.
    state.window.BlockUntil(now + penalty);
    ++stats_.penalties;
    NotifyAll();
    return RateLimitCause::kOurs;
  }
  ++state.foreign;
  ++stats_.foreign;
  // Answers to requests sent before the penalty began belong to the episode
  // already counted: one cut per penalty.
  if (now < state.resume_at) return RateLimitCause::kAnotherClient;
  const int rate = state.window.limit();
  state.threshold = std::max(1, rate / 2);
  state.window.set_limit(1);
  state.granted_at_rate = 0;
  std::uniform_int_distribution<int64_t> jitter(0, limits_.resume_jitter.count());
  state.resume_at = now + penalty + std::chrono::milliseconds(jitter(random_));
  state.window.BlockUntil(state.resume_at);
  if (!state.backing_off) {
    state.backing_off = true;
    log::Warn(
        "another client of base {} is using its rate limit: Airtable answered 429 with {} of "
        "airpg's requests in the last second (its budget is {}/s, Airtable's limit {}/s); airpg "
        "waits out the {} s penalty, resumes at 1 request/s and climbs back",
        key, own, limits_.per_base, limits_.airtable_per_base, penalty.count() / 1000);
  }
  NotifyAll();
  return RateLimitCause::kAnotherClient;
}

void Pacer::Penalize(std::string_view base_id, std::chrono::milliseconds penalty) {
  std::lock_guard<std::mutex> lock(mu_);
  TimePoint until = clock_.Now() + penalty;
  if (base_id.empty()) {
    token_window_.BlockUntil(until);
  } else {
    StateFor(std::string(base_id)).window.BlockUntil(until);
  }
  ++stats_.penalties;
  NotifyAll();
}

PacerStats Pacer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  PacerStats out = stats_;
  for (const auto& [id, state] : bases_) out.waiting += static_cast<int64_t>(state.queue.size());
  return out;
}

PacerBaseStats Pacer::base_stats(std::string_view base_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = bases_.find(std::string(base_id));
  if (it == bases_.end()) return PacerBaseStats{0, 0, limits_.per_base, false};
  const BaseState& s = it->second;
  return PacerBaseStats{s.granted, s.foreign, s.window.limit(), s.backing_off};
}

}  // namespace airpg::airtable
