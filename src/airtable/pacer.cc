#include "airtable/pacer.h"

#include <algorithm>

namespace airpg::airtable {

using Clock = SlidingWindow::Clock;

Pacer::Pacer(PacerLimits limits, GrantObserver observer)
    : limits_(limits),
      observer_(std::move(observer)),
      token_window_(limits.per_token, limits.window + limits.margin) {}

Pacer::BaseState& Pacer::StateFor(const std::string& base_id) {
  auto it = bases_.find(base_id);
  if (it == bases_.end()) it = bases_.emplace(base_id, BaseState(limits_)).first;
  return it->second;
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
