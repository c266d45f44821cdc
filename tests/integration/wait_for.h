// WaitFor: waits until a condition holds or a deadline passes, for tests
// that watch another process (a child airpg, its database rows) and so have
// no event to wait on. The condition is checked at once, then at growing
// intervals (1 ms doubling to 50 ms): a condition that holds early is seen
// early, and the deadline, not a fixed sleep, bounds the wait. Tests only.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

namespace airpg::testing {

// True once `condition` holds; false if it still does not at the deadline.
inline bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    if (condition()) return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_until(std::min(deadline, now + pause));
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

}  // namespace airpg::testing
