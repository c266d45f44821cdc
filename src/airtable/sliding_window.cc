#include "airtable/sliding_window.h"

#include <algorithm>

namespace airpg::airtable {

SlidingWindow::Clock::time_point SlidingWindow::NextAllowed(Clock::time_point now) const {
  Clock::time_point at = std::max(now, blocked_until_);
  const int n = static_cast<int>(grants_.size());
  // The oldest of the last `limit_` grants must have left the window.
  if (n >= limit_) at = std::max(at, grants_[static_cast<size_t>(n - limit_)] + window_);
  if (spaced_ && n > 0) at = std::max(at, grants_.back() + window_ / limit_);
  return at;
}

void SlidingWindow::Grant(Clock::time_point now) {
  grants_.push_back(now);
  while (static_cast<int>(grants_.size()) > capacity_) grants_.pop_front();
}

void SlidingWindow::BlockUntil(Clock::time_point until) {
  blocked_until_ = std::max(blocked_until_, until);
}

}  // namespace airpg::airtable
