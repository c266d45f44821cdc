// SlidingWindow: "at most `limit` grants in any window of `window`", the way
// Airtable counts requests (API.md §3), plus a safety margin so that small
// delays between granting and arriving never push a window over the limit.
// Pure: time is passed in. Thread-compatible (the Pacer guards it).
#pragma once

#include <chrono>
#include <deque>

namespace airpg::airtable {

class SlidingWindow {
 public:
  using Clock = std::chrono::steady_clock;

  // REQUIRES: limit >= 1.
  SlidingWindow(int limit, Clock::duration window) : limit_(limit), window_(window) {}

  // The earliest time at or after `now` when one more grant fits.
  Clock::time_point NextAllowed(Clock::time_point now) const;

  // Records a grant at `now`. REQUIRES: NextAllowed(now) <= now.
  void Grant(Clock::time_point now);

  // Nothing is granted before `until` (the penalty after a 429).
  void BlockUntil(Clock::time_point until);

  // The last `limit` grants, oldest first (older ones no longer matter).
  const std::deque<Clock::time_point>& grants() const { return grants_; }

 private:
  int limit_;
  Clock::duration window_;
  std::deque<Clock::time_point> grants_;  // the last `limit_` grants, oldest first
  Clock::time_point blocked_until_{};
};

}  // namespace airpg::airtable
