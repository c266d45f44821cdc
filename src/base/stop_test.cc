#include "base/stop.h"

#include <signal.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "base/clock.h"

namespace airpg {
namespace {

SignalStop* g_stop = nullptr;

void OnSignal(int) { g_stop->Notify(); }

TEST(SignalStopTest, ASignalStopsASleepAtOnce) {
  SignalStop stop;
  g_stop = &stop;
  struct sigaction action {};
  struct sigaction previous {};
  action.sa_handler = OnSignal;
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous), 0);
  bool slept = true;
  RealClock clock;
  std::thread sleeper([&] { slept = clock.SleepFor(std::chrono::hours(24), stop.token()); });
  ::raise(SIGUSR1);  // the handler only writes to a pipe
  sleeper.join();    // a day without the stop
  EXPECT_FALSE(slept);
  EXPECT_TRUE(stop.stop_requested());
  ::sigaction(SIGUSR1, &previous, nullptr);
  g_stop = nullptr;
}

TEST(SignalStopTest, NothingStopsWithoutANotify) {
  SignalStop stop;
  RealClock clock;
  EXPECT_TRUE(clock.SleepFor(std::chrono::milliseconds(1), stop.token()));
  EXPECT_FALSE(stop.stop_requested());
  stop.Notify();
  stop.Notify();  // idempotent
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!stop.stop_requested() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_TRUE(stop.stop_requested());
}

}  // namespace
}  // namespace airpg
