#include "base/backoff.h"

#include <gtest/gtest.h>

namespace airpg {
namespace {

TEST(BackoffTest, DelaysGrowWithinTheirCeilingAndStopAtMaxAttempts) {
  BackoffPolicy policy;
  policy.initial = std::chrono::milliseconds(100);
  policy.max_delay = std::chrono::milliseconds(1000);
  policy.max_attempts = 6;
  policy.max_total = std::chrono::hours(1);
  Backoff backoff(policy, 42);
  const int64_t ceilings[] = {100, 200, 400, 800, 1000, 1000};
  for (int64_t ceiling : ceilings) {
    auto delay = backoff.Next();
    ASSERT_TRUE(delay.has_value());
    EXPECT_GE(delay->count(), 0);
    EXPECT_LE(delay->count(), ceiling);
  }
  EXPECT_EQ(backoff.Next(), std::nullopt);
  EXPECT_EQ(backoff.attempts(), 6);
}

TEST(BackoffTest, StopsWhenTheTotalTimeIsSpent) {
  BackoffPolicy policy;
  policy.initial = std::chrono::milliseconds(1000);
  policy.max_delay = std::chrono::milliseconds(1000);
  policy.max_attempts = 1000;
  policy.max_total = std::chrono::milliseconds(3000);
  Backoff backoff(policy, 7);
  int64_t total = 0;
  while (auto delay = backoff.Next()) total += delay->count();
  EXPECT_LE(total, 3000);
  EXPECT_LT(backoff.attempts(), 1000);
}

TEST(BackoffTest, SameSeedSameSchedule) {
  Backoff a(BackoffPolicy{}, 99), b(BackoffPolicy{}, 99);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a.Next(), b.Next());
}

}  // namespace
}  // namespace airpg
