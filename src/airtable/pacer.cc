#include "airtable/pacer.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "base/log.h"

namespace airpg::airtable {
namespace {

using Clock = SlidingWindow::Clock;

// When one more grant fits under `limit` in any window of `span`, given the
// grants of other processes (`theirs`, oldest first) and this one's (`mine`,
// the last `limit`, oldest first): min() when it fits now (after `from`, the
// start of the current window).
Clock::time_point RoomAt(const std::vector<Clock::time_point>& theirs,
                         const std::deque<Clock::time_point>& mine, Clock::time_point from,
                         int limit, Clock::duration span) {
  std::vector<Clock::time_point> all;
  for (Clock::time_point t : theirs) all.push_back(t);
  for (Clock::time_point t : mine) {
    if (t > from) all.push_back(t);
  }
  if (static_cast<int>(all.size()) < limit) return Clock::time_point::min();
  std::sort(all.begin(), all.end());
  // Room once no more than limit - 1 of them remain inside the window.
  return all[all.size() - static_cast<size_t>(limit)] + span;
}

}  // namespace

Pacer::Pacer(PacerLimits limits, GrantObserver observer, std::unique_ptr<GrantLedger> ledger)
    : limits_(limits),
      observer_(std::move(observer)),
      ledger_(std::move(ledger)),
      token_window_(limits.per_token, limits.window + limits.margin) {}

Pacer::BaseState& Pacer::StateFor(const std::string& base_id) {
  auto it = bases_.find(base_id);
  if (it == bases_.end()) it = bases_.emplace(base_id, BaseState(limits_)).first;
  return it->second;
}

Clock::time_point Pacer::SharedGrant(const std::string& base_id, const BaseState& state,
                                     Clock::time_point* now) {
  const Clock::duration span = limits_.window + limits_.margin;
  Clock::time_point granted_at{};
  std::optional<Clock::time_point> retry_at;
  Status s = ledger_->Transact(base_id, span, [&](const GrantLedger::Others& others) {
    Clock::time_point from = others.now - span;
    Clock::time_point room =
        RoomAt(others.token, token_window_.grants(), from, limits_.per_token, span);
    if (!base_id.empty()) {
      room =
          std::max(room, RoomAt(others.base, state.window.grants(), from, limits_.per_base, span));
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

Status Pacer::Acquire(std::string_view base_id, Priority priority, const std::atomic<bool>* stop) {
  std::unique_lock<std::mutex> lock(mu_);
  std::string key(base_id);
  Waiter me{static_cast<int>(priority), next_seq_++};
  StateFor(key).queue.emplace(me, true);
  bool waited = false;
  while (true) {
    BaseState& state = StateFor(key);
    if (stop != nullptr && stop->load()) {
      state.queue.erase(me);
      cv_.notify_all();
      return CancelledError("stopped while waiting for the Airtable rate limit");
    }
    Clock::time_point now = Clock::now();
    // Only the first waiter of a base may go; it goes when both windows allow.
    Clock::time_point wake = now + std::chrono::milliseconds(100);
    if (state.queue.begin()->first.seq == me.seq) {
      // A request that names no base counts for the token only.
      Clock::time_point at = token_window_.NextAllowed(now);
      if (!key.empty()) at = std::max(at, state.window.NextAllowed(now));
      // Other processes' grants can only make it later; when they leave room,
      // the ledger has recorded this grant and `now` is the time it counted.
      if (at <= now && ledger_ != nullptr) at = SharedGrant(key, state, &now);
      if (at <= now) {
        if (!key.empty()) state.window.Grant(now);
        token_window_.Grant(now);
        state.queue.erase(me);
        ++stats_.granted;
        if (waited) ++stats_.waited;
        if (observer_) observer_(key, now);
        cv_.notify_all();
        return Status::Ok();
      }
      wake = std::min(wake, at);
    }
    waited = true;
    cv_.wait_until(lock, wake);
  }
}

void Pacer::Penalize(std::string_view base_id, std::chrono::milliseconds penalty) {
  std::lock_guard<std::mutex> lock(mu_);
  Clock::time_point until = Clock::now() + penalty;
  if (base_id.empty()) {
    token_window_.BlockUntil(until);
  } else {
    StateFor(std::string(base_id)).window.BlockUntil(until);
  }
  ++stats_.penalties;
  cv_.notify_all();
}

PacerStats Pacer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  PacerStats out = stats_;
  for (const auto& [id, state] : bases_) out.waiting += static_cast<int64_t>(state.queue.size());
  return out;
}

}  // namespace airpg::airtable
