#include "cli/interrupt.h"

#include <signal.h>

#include <gtest/gtest.h>

#include "base/clock.h"

namespace airpg::cli {
namespace {

sighandler_t CurrentHandler(int signal) {
  struct sigaction now {};
  sigaction(signal, nullptr, &now);
  return now.sa_handler;
}

TEST(InterruptScopeTest, FirstSignalSetsTheFlagAndTheSecondIsFatal) {
  sighandler_t before = CurrentHandler(SIGTERM);
  {
    InterruptScope scope;
    EXPECT_FALSE(scope.interrupted());
    EXPECT_EQ(scope.signal(), 0);
    ASSERT_EQ(::raise(SIGTERM), 0);
    EXPECT_TRUE(scope.interrupted());
    EXPECT_EQ(scope.signal(), SIGTERM);
    // Reset to the default: a second Ctrl-C or SIGTERM ends the process.
    EXPECT_EQ(CurrentHandler(SIGTERM), SIG_DFL);
    EXPECT_NE(CurrentHandler(SIGINT), SIG_DFL);
  }
  EXPECT_EQ(CurrentHandler(SIGTERM), before);
}

TEST(InterruptScopeTest, SigintCountsAndANewScopeStartsClear) {
  {
    InterruptScope scope;
    ASSERT_EQ(::raise(SIGINT), 0);
    EXPECT_TRUE(scope.interrupted());
    EXPECT_EQ(scope.signal(), SIGINT);
  }
  InterruptScope fresh;
  EXPECT_FALSE(fresh.interrupted());
  EXPECT_EQ(fresh.signal(), 0);
}

// The signal stops the scope's token, which ends a wait nothing else could
// end (it has no deadline): how a retry wait or the sync's sleep ends at once.
TEST(InterruptScopeTest, SignalStopsTheTokenAndEndsAWait) {
  InterruptScope scope;
  std::stop_token token = scope.token();
  EXPECT_FALSE(token.stop_requested());
  ASSERT_EQ(::raise(SIGTERM), 0);
  EXPECT_FALSE(SystemClock().SleepUntil(Clock::kNever, token));
  EXPECT_TRUE(token.stop_requested());
  EXPECT_EQ(scope.signal(), SIGTERM);
}

TEST(InterruptScopeTest, ANewScopeHasAFreshToken) {
  {
    InterruptScope scope;
    ASSERT_EQ(::raise(SIGINT), 0);
    EXPECT_FALSE(SystemClock().SleepUntil(Clock::kNever, scope.token()));
  }
  InterruptScope fresh;
  EXPECT_FALSE(fresh.token().stop_requested());
}

}  // namespace
}  // namespace airpg::cli
