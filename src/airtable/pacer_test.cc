#include "airtable/pacer.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
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

// Grant times as the pacer counted them, per base. Times observed after
// Acquire returns would include thread scheduling delays, which say nothing
// about the pacer.
class Grants {
 public:
  Pacer::GrantObserver Observer() {
    return [this](std::string_view base, Clock::time_point at) {
      std::lock_guard<std::mutex> lock(mu_);
      by_base_[std::string(base)].push_back(at);
      all_.push_back(at);
    };
  }
  std::vector<Clock::time_point> Of(const std::string& base) {
    std::lock_guard<std::mutex> lock(mu_);
    return by_base_[base];
  }
  std::vector<Clock::time_point> All() {
    std::lock_guard<std::mutex> lock(mu_);
    return all_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<Clock::time_point>> by_base_;
  std::vector<Clock::time_point> all_;
};

// `threads` × `each` requests to `base`, from several threads.
void Hammer(Pacer& pacer, const std::string& base, int threads, int each) {
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < each; ++i) ASSERT_TRUE(pacer.Acquire(base, Priority::kBackfill).ok());
    });
  }
  for (auto& w : workers) w.join();
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
  Grants seen;
  Pacer pacer(FastLimits(), seen.Observer());
  Hammer(pacer, "appA", 4, 10);
  auto grants = seen.Of("appA");
  EXPECT_EQ(grants.size(), 40u);
  EXPECT_TRUE(RespectsWindow(grants, 5, milliseconds(100)));
  EXPECT_EQ(pacer.stats().granted, 40);
  EXPECT_GT(pacer.stats().waited, 0);
}

TEST(PacerTest, TwoBasesShareTheTokenLimit) {
  Grants seen;
  Pacer pacer(FastLimits(), seen.Observer());
  std::thread ta([&] { Hammer(pacer, "appA", 2, 10); });
  std::thread tb([&] { Hammer(pacer, "appB", 2, 10); });
  ta.join();
  tb.join();
  EXPECT_TRUE(RespectsWindow(seen.Of("appA"), 5, milliseconds(100)));
  EXPECT_TRUE(RespectsWindow(seen.Of("appB"), 5, milliseconds(100)));
  EXPECT_EQ(seen.All().size(), 40u);
  EXPECT_TRUE(RespectsWindow(seen.All(), 8, milliseconds(100)));
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
  Grants seen;
  Pacer pacer(FastLimits(), seen.Observer());
  Hammer(pacer, "", 2, 8);
  auto grants = seen.Of("");
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
