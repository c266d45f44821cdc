#include "airtable/sliding_window.h"

#include <gtest/gtest.h>

namespace airpg::airtable {
namespace {

using std::chrono::milliseconds;
using TimePoint = SlidingWindow::Clock::time_point;

TEST(SlidingWindowTest, AllowsABurstUpToTheLimitThenWaitsForTheOldest) {
  SlidingWindow window(3, milliseconds(1000));
  TimePoint t0{};
  for (int i = 0; i < 3; ++i) {
    TimePoint now = t0 + milliseconds(i * 10);
    ASSERT_EQ(window.NextAllowed(now), now);
    window.Grant(now);
  }
  EXPECT_EQ(window.NextAllowed(t0 + milliseconds(30)), t0 + milliseconds(1000));
  window.Grant(t0 + milliseconds(1000));
  EXPECT_EQ(window.NextAllowed(t0 + milliseconds(1000)), t0 + milliseconds(1010));
}

TEST(SlidingWindowTest, NeverMoreThanLimitInAnyWindow) {
  SlidingWindow window(5, milliseconds(1000));
  std::vector<TimePoint> grants;
  TimePoint now{};
  for (int i = 0; i < 200; ++i) {
    now = window.NextAllowed(now + milliseconds(i % 7));  // uneven arrivals
    window.Grant(now);
    grants.push_back(now);
  }
  for (size_t i = 5; i < grants.size(); ++i) {
    EXPECT_GE(grants[i] - grants[i - 5], milliseconds(1000)) << i;
  }
}

TEST(SlidingWindowTest, BlockHoldsEverythingBack) {
  SlidingWindow window(5, milliseconds(1000));
  TimePoint t0{};
  window.BlockUntil(t0 + milliseconds(30000));
  EXPECT_EQ(window.NextAllowed(t0), t0 + milliseconds(30000));
  window.BlockUntil(t0 + milliseconds(100));  // a shorter block never shortens a longer one
  EXPECT_EQ(window.NextAllowed(t0), t0 + milliseconds(30000));
}

TEST(SlidingWindowTest, SpacedGrantsGoEvenlyOverTheWindow) {
  SlidingWindow window(4, milliseconds(1000), /*spaced=*/true);
  TimePoint t0{};
  window.Grant(t0);
  // Four asked for at once go 250 ms apart, not back to back.
  EXPECT_EQ(window.NextAllowed(t0), t0 + milliseconds(250));
  window.Grant(t0 + milliseconds(250));
  EXPECT_EQ(window.NextAllowed(t0 + milliseconds(260)), t0 + milliseconds(500));
  // After a pause the next one goes at once.
  EXPECT_EQ(window.NextAllowed(t0 + milliseconds(5000)), t0 + milliseconds(5000));
}

TEST(SlidingWindowTest, ALoweredLimitHoldsAndRaisesAgainUpToTheFirst) {
  SlidingWindow window(4, milliseconds(1000), /*spaced=*/true);
  TimePoint t0{};
  window.set_limit(1);
  window.Grant(t0);
  EXPECT_EQ(window.NextAllowed(t0), t0 + milliseconds(1000));
  window.set_limit(2);
  EXPECT_EQ(window.NextAllowed(t0), t0 + milliseconds(500));
  window.Grant(t0 + milliseconds(500));
  EXPECT_EQ(window.NextAllowed(t0 + milliseconds(500)), t0 + milliseconds(1000));
  window.set_limit(4);
  EXPECT_EQ(window.NextAllowed(t0 + milliseconds(500)), t0 + milliseconds(750));
}

}  // namespace
}  // namespace airpg::airtable
