#include "airtable/pacer.h"

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace airpg::airtable {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Small windows keep the tests short; the properties are the same at 1 s.
PacerLimits FastLimits() {
  PacerLimits limits;
  limits.per_base = 5;
  limits.per_token = 8;
  limits.window = milliseconds(100);
  limits.margin = milliseconds(2);
  return limits;
}

// Grant times of `threads` × `each` requests to `base`, from several threads.
std::vector<Clock::time_point> Hammer(Pacer& pacer, const std::string& base, int threads,
                                      int each) {
  std::mutex mu;
  std::vector<Clock::time_point> grants;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < each; ++i) {
        ASSERT_TRUE(pacer.Acquire(base, Priority::kBackfill).ok());
        std::lock_guard<std::mutex> lock(mu);
        grants.push_back(Clock::now());
      }
    });
  }
  for (auto& w : workers) w.join();
  std::sort(grants.begin(), grants.end());
  return grants;
}

// True when no `limit + 1` grants fall inside one `window`.
bool RespectsWindow(const std::vector<Clock::time_point>& grants, size_t limit,
                    Clock::duration window) {
  for (size_t i = limit; i < grants.size(); ++i) {
    if (grants[i] - grants[i - limit] < window) return false;
  }
  return true;
}

TEST(PacerTest, ManyThreadsOneBaseStayUnderTheBaseLimit) {
  Pacer pacer(FastLimits());
  auto grants = Hammer(pacer, "appA", 4, 10);
  EXPECT_EQ(grants.size(), 40u);
  EXPECT_TRUE(RespectsWindow(grants, 5, milliseconds(100)));
  EXPECT_EQ(pacer.stats().granted, 40);
  EXPECT_GT(pacer.stats().waited, 0);
}

TEST(PacerTest, TwoBasesShareTheTokenLimit) {
  Pacer pacer(FastLimits());
  std::vector<Clock::time_point> a, b;
  std::thread ta([&] { a = Hammer(pacer, "appA", 2, 10); });
  std::thread tb([&] { b = Hammer(pacer, "appB", 2, 10); });
  ta.join();
  tb.join();
  EXPECT_TRUE(RespectsWindow(a, 5, milliseconds(100)));
  EXPECT_TRUE(RespectsWindow(b, 5, milliseconds(100)));
  std::vector<Clock::time_point> all = a;
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  EXPECT_TRUE(RespectsWindow(all, 8, milliseconds(100)));
}

TEST(PacerTest, HigherPriorityGoesFirstWhenTheBaseFrees) {
  PacerLimits limits = FastLimits();
  limits.per_base = 1;
  limits.window = milliseconds(1000);
  Pacer pacer(limits);
  ASSERT_TRUE(pacer.Acquire("appA", Priority::kBackfill).ok());  // the base is now busy
  std::mutex mu;
  std::vector<Priority> order;
  auto request = [&](Priority p) {
    ASSERT_TRUE(pacer.Acquire("appA", p).ok());
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(p);
  };
  std::vector<std::thread> threads;
  threads.emplace_back(request, Priority::kVerification);
  threads.emplace_back(request, Priority::kBackfill);
  threads.emplace_back(request, Priority::kWrite);
  // All three queue while the base is busy; then they go strictly by priority.
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (pacer.stats().waiting < 3 && pacer.stats().granted == 1 && Clock::now() < deadline) {
    std::this_thread::yield();
  }
  for (auto& t : threads) t.join();
  std::vector<Priority> expected = {Priority::kWrite, Priority::kBackfill, Priority::kVerification};
  EXPECT_EQ(order, expected);
}

TEST(PacerTest, PenaltyHoldsTheBaseBack) {
  Pacer pacer(FastLimits());
  pacer.Penalize("appA", milliseconds(150));
  auto before = Clock::now();
  ASSERT_TRUE(pacer.Acquire("appA", Priority::kWrite).ok());
  EXPECT_GE(Clock::now() - before, milliseconds(150));
  EXPECT_TRUE(pacer.Acquire("appB", Priority::kWrite).ok());  // other bases go on
  EXPECT_EQ(pacer.stats().penalties, 1);
}

TEST(PacerTest, RequestsWithoutABaseCountForTheTokenOnly) {
  Pacer pacer(FastLimits());
  auto grants = Hammer(pacer, "", 2, 8);
  EXPECT_EQ(grants.size(), 16u);
  EXPECT_TRUE(RespectsWindow(grants, 8, milliseconds(100)));
}

TEST(PacerTest, StopCancelsAWaiter) {
  PacerLimits limits = FastLimits();
  Pacer pacer(limits);
  pacer.Penalize("appA", milliseconds(60000));
  std::atomic<bool> stop{false};
  Status result;
  std::thread waiter([&] { result = pacer.Acquire("appA", Priority::kWrite, &stop); });
  stop = true;
  waiter.join();
  EXPECT_EQ(result.code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace airpg::airtable
