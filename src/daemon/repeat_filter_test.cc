#include "daemon/repeat_filter.h"

#include <gtest/gtest.h>

namespace airpg::daemon {
namespace {

TEST(RepeatFilter, AFailureRepeatingEveryRoundIsNewOnceUntilARoundWorks) {
  RepeatFilter filter;
  EXPECT_TRUE(filter.IsNew("writes to base app1 are stopped: 403"));
  EXPECT_FALSE(filter.IsNew("writes to base app1 are stopped: 403"));
  EXPECT_FALSE(filter.IsNew("writes to base app1 are stopped: 403"));
  EXPECT_TRUE(filter.IsNew("writes to base app1 are stopped: 401"));
  filter.Reset();
  EXPECT_TRUE(filter.IsNew("writes to base app1 are stopped: 401"));
}

}  // namespace
}  // namespace airpg::daemon
