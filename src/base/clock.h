// Clock: the one seam through which airpg code reads the time and waits for
// it. RealClock is std::chrono::steady_clock (CLOCK_MONOTONIC: one clock for
// every process of the machine); ManualClock is logical time that moves only
// when a test moves it, so code that paces or schedules (the Airtable pacer)
// is tested without depending on the machine's load. Waits end at once when
// their std::stop_token is stopped: no flag is polled.
// Thread-safe: both clocks may be shared by any number of threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <stop_token>

namespace airpg {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  // A deadline that never comes: the wait ends by `ready` or a stop only.
  static constexpr time_point kNever = time_point::max();

  virtual ~Clock() = default;

  virtual time_point Now() const = 0;

  // Blocks on `cv` (`lock` held on entry and on return, released while
  // blocked) until `ready()` holds, this clock reaches `deadline`, or `stop`
  // is stopped. Returns ready(). `ready` is called with `lock` held; whoever
  // makes it true notifies `cv` under the same mutex.
  // REQUIRES: `lock`'s mutex and `cv` outlive the wait.
  virtual bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                         time_point deadline, std::stop_token stop,
                         const std::function<bool()>& ready) = 0;

  // Sleeps until `deadline` on this clock; false when `stop` ended it first.
  bool SleepUntil(time_point deadline, std::stop_token stop = {});
  bool SleepFor(duration d, std::stop_token stop = {}) { return SleepUntil(Now() + d, stop); }
};

// The machine's monotonic clock.
class RealClock final : public Clock {
 public:
  time_point Now() const override { return std::chrono::steady_clock::now(); }
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                 time_point deadline, std::stop_token stop,
                 const std::function<bool()>& ready) override;
};

// The process's RealClock, for code given no clock.
Clock& SystemClock();

// Logical time for tests: Now() stays where it is until Advance()/AdvanceTo()
// moves it, which wakes every wait whose deadline it reaches. A test drives
// waiting threads by looking at waiters() and NextDeadline() (both include
// SleepUntil) and moving the clock there.
class ManualClock final : public Clock {
 public:
  // Starts an hour after the steady clock's epoch, so that "now - a window"
  // and default-constructed time points are in the past, never negative.
  explicit ManualClock(time_point start = time_point{} + std::chrono::hours(1)) : now_(start) {}

  time_point Now() const override;
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                 time_point deadline, std::stop_token stop,
                 const std::function<bool()>& ready) override;

  void Advance(duration d);
  // Moves to `t`; a `t` in the past leaves the clock where it is.
  void AdvanceTo(time_point t);

  // Threads blocked in WaitUntil/SleepUntil right now, and the earliest of
  // their deadlines other than kNever (nullopt when there is none).
  int waiters() const;
  std::optional<time_point> NextDeadline() const;

 private:
  struct Waiter {
    std::mutex* mu;
    std::condition_variable_any* cv;
    time_point deadline;
    int pinned;  // Advance calls about to notify this waiter; it stays listed until 0
  };

  mutable std::mutex mu_;
  time_point now_;                    // guarded by mu_
  std::list<Waiter> waiters_;         // guarded by mu_
  std::condition_variable unpinned_;  // with mu_: a waiter's `pinned` went down
};

}  // namespace airpg
