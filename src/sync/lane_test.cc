#include "sync/lane.h"

#include <gtest/gtest.h>

namespace airpg::sync {
namespace {

TEST(LaneTest, NamesRoundTripAndUnknownNamesAreRefused) {
  for (Lane lane : {Lane::kFast, Lane::kNormal, Lane::kSlow}) {
    EXPECT_EQ(ParseLane(LaneName(lane)), lane);
  }
  EXPECT_EQ(ParseLane("urgent"), std::nullopt);
}

TEST(LaneTest, FasterLanesPollMoreOftenAndGoFirst) {
  EXPECT_LT(DefaultPollInterval(Lane::kFast), DefaultPollInterval(Lane::kNormal));
  EXPECT_LT(DefaultPollInterval(Lane::kNormal), DefaultPollInterval(Lane::kSlow));
  EXPECT_LT(static_cast<int>(PollPriority(Lane::kFast)),
            static_cast<int>(PollPriority(Lane::kSlow)));
}

}  // namespace
}  // namespace airpg::sync
