#include "airtable/sliding_window.h"

#include <algorithm>

namespace airpg::airtable {

SlidingWindow::Clock::time_point SlidingWindow::NextAllowed(Clock::time_point now) const {
  Clock::time_point at = std::max(now, blocked_until_);
  if (static_cast<int>(grants_.size()) < limit_) return at;
  // The oldest of the last `limit_` grants must have left the window.
  return std::max(at, grants_.front() + window_);
}

void SlidingWindow::Grant(Clock::time_point now) {
  grants_.push_back(now);
  while (static_cast<int>(grants_.size()) > limit_) grants_.pop_front();
}

void SlidingWindow::BlockUntil(Clock::time_point until) {
  blocked_until_ = std::max(blocked_until_, until);
}

}  // namespace airpg::airtable
