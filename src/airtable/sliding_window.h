// SlidingWindow: "at most `limit` grants in any window of `window`", the way
// Airtable counts requests (API.md §3), plus a safety margin so that small
// delays between granting and arriving never push a window over the limit.
// Spaced, it also keeps grants at least window / limit apart: a burst then
// goes out evenly over the window instead of all at once, which leaves room
// in every second for the other clients of a base (issue 14). The limit can
// be lowered and raised again (the pacer's back-off after a 429).
// Pure: time is passed in. Thread-compatible (the Pacer guards it).
#pragma once

#include <chrono>
#include <deque>

namespace airpg::airtable {

class SlidingWindow {
 public:
  using Clock = std::chrono::steady_clock;

  // REQUIRES: limit >= 1. `limit` is also the most set_limit() may raise it to.
  SlidingWindow(int limit, Clock::duration window, bool spaced = false)
      : capacity_(limit), limit_(limit), window_(window), spaced_(spaced) {}

  // The earliest time at or after `now` when one more grant fits.
  Clock::time_point NextAllowed(Clock::time_point now) const;

  // Records a grant at `now`. REQUIRES: NextAllowed(now) <= now.
  void Grant(Clock::time_point now);

  // Nothing is granted before `until` (the penalty after a 429).
  void BlockUntil(Clock::time_point until);
  Clock::time_point blocked_until() const { return blocked_until_; }

  // REQUIRES: 1 <= limit <= the limit given to the constructor.
  void set_limit(int limit) { limit_ = limit; }
  int limit() const { return limit_; }

  // The most recent grants (at most the constructor's limit), oldest first.
  const std::deque<Clock::time_point>& grants() const { return grants_; }

 private:
  const int capacity_;
  int limit_;
  const Clock::duration window_;
  const bool spaced_;
  std::deque<Clock::time_point> grants_;  // the last `capacity_` grants, oldest first
  Clock::time_point blocked_until_{};
};

}  // namespace airpg::airtable
