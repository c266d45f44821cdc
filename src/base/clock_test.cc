#include "base/clock.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace airpg {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

// Waits (real time, with a deadline) until `clock` has `n` waiters.
bool WaitForWaiters(const ManualClock& clock, int n) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (clock.waiters() != n) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(ManualClockTest, StandsStillUntilMoved) {
  ManualClock clock;
  Clock::time_point t0 = clock.Now();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(milliseconds(250));
  EXPECT_EQ(clock.Now(), t0 + milliseconds(250));
  clock.AdvanceTo(t0);  // never backwards
  EXPECT_EQ(clock.Now(), t0 + milliseconds(250));
}

TEST(ManualClockTest, ASleeperWakesWhenTheClockReachesItsDeadline) {
  ManualClock clock;
  Clock::time_point t0 = clock.Now();
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    EXPECT_TRUE(clock.SleepUntil(t0 + milliseconds(500)));
    woke = true;
  });
  ASSERT_TRUE(WaitForWaiters(clock, 1));
  EXPECT_EQ(clock.NextDeadline(), t0 + milliseconds(500));
  clock.Advance(milliseconds(499));
  EXPECT_FALSE(woke.load());
  EXPECT_EQ(clock.waiters(), 1);
  clock.Advance(milliseconds(1));
  sleeper.join();
  EXPECT_TRUE(woke.load());
  EXPECT_EQ(clock.waiters(), 0);
  EXPECT_FALSE(clock.NextDeadline().has_value());
}

TEST(ManualClockTest, AStopEndsAWaitAtOnce) {
  ManualClock clock;
  std::stop_source source;
  bool slept = true;
  std::thread sleeper([&] { slept = clock.SleepFor(hours(24), source.get_token()); });
  ASSERT_TRUE(WaitForWaiters(clock, 1));
  source.request_stop();
  sleeper.join();  // the clock never moved
  EXPECT_FALSE(slept);
}

TEST(ManualClockTest, AWaitEndsWhenItsConditionIsNotified) {
  ManualClock clock;
  std::mutex mu;
  std::condition_variable_any cv;
  bool ready = false;
  bool result = false;
  std::thread waiter([&] {
    std::unique_lock<std::mutex> lock(mu);
    result = clock.WaitUntil(lock, cv, clock.Now() + hours(1), {}, [&] { return ready; });
  });
  ASSERT_TRUE(WaitForWaiters(clock, 1));
  {
    std::lock_guard<std::mutex> lock(mu);
    ready = true;
  }
  cv.notify_all();
  waiter.join();
  EXPECT_TRUE(result);
}

TEST(RealClockTest, AStopEndsAWaitAtOnce) {
  RealClock clock;
  std::stop_source source;
  bool slept = true;
  std::thread sleeper([&] { slept = clock.SleepFor(hours(24), source.get_token()); });
  source.request_stop();
  sleeper.join();  // would take a day without the stop
  EXPECT_FALSE(slept);
}

TEST(RealClockTest, SleepsUntilTheDeadline) {
  RealClock clock;
  Clock::time_point until = clock.Now() + milliseconds(5);
  EXPECT_TRUE(clock.SleepUntil(until));
  EXPECT_GE(clock.Now(), until);
}

}  // namespace
}  // namespace airpg
