#include "base/clock.h"

#include <vector>

namespace airpg {

bool Clock::SleepUntil(time_point deadline, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(mu);
  WaitUntil(lock, cv, deadline, stop, [] { return false; });
  return !stop.stop_requested();
}

bool RealClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                          time_point deadline, std::stop_token stop,
                          const std::function<bool()>& ready) {
  // The stop callback notifies `cv`, so a stop ends the wait at once.
  if (deadline == kNever) return cv.wait(lock, stop, ready);
  return cv.wait_until(lock, stop, deadline, ready);
}

Clock& SystemClock() {
  static RealClock clock;
  return clock;
}

Clock::time_point ManualClock::Now() const {
  std::lock_guard<std::mutex> guard(mu_);
  return now_;
}

bool ManualClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                            time_point deadline, std::stop_token stop,
                            const std::function<bool()>& ready) {
  // Registered while `lock` is held: an Advance after this takes the same
  // mutex before it notifies, so it cannot slip in between the check of the
  // time below and the wait (no lost wake-up).
  std::list<Waiter>::iterator me;
  {
    std::lock_guard<std::mutex> guard(mu_);
    me = waiters_.insert(waiters_.end(), Waiter{lock.mutex(), &cv, deadline, 0});
  }
  cv.wait(lock, stop, [&] { return ready() || Now() >= deadline; });
  // An Advance may still be about to lock our mutex and notify our cv, which
  // may not outlive this call: leave the list only once it is done with us.
  lock.unlock();
  {
    std::unique_lock<std::mutex> guard(mu_);
    unpinned_.wait(guard, [&] { return me->pinned == 0; });
    waiters_.erase(me);
  }
  lock.lock();
  return ready();
}

void ManualClock::Advance(duration d) { AdvanceTo(Now() + d); }

void ManualClock::AdvanceTo(time_point t) {
  std::vector<std::list<Waiter>::iterator> due;
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (t <= now_) return;
    now_ = t;
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (it->deadline > t) continue;
      ++it->pinned;
      due.push_back(it);
    }
  }
  // Outside mu_: a waiter's predicate reads Now() under its own mutex.
  for (auto it : due) {
    std::lock_guard<std::mutex> guard(*it->mu);
    it->cv->notify_all();
  }
  std::lock_guard<std::mutex> guard(mu_);
  for (auto it : due) --it->pinned;
  unpinned_.notify_all();
}

int ManualClock::waiters() const {
  std::lock_guard<std::mutex> guard(mu_);
  return static_cast<int>(waiters_.size());
}

std::optional<Clock::time_point> ManualClock::NextDeadline() const {
  std::lock_guard<std::mutex> guard(mu_);
  std::optional<time_point> next;
  for (const Waiter& w : waiters_) {
    if (w.deadline != kNever && (!next || w.deadline < *next)) next = w.deadline;
  }
  return next;
}

}  // namespace airpg
