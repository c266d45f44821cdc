// TimeZone: TZif reading and offsets around daylight-saving transitions.
#include "formula/time_zone.h"

#include <gtest/gtest.h>

#include "formula/civil_time.h"

namespace airpg::formula {
namespace {

int64_t At(const char* iso) { return *ParseIsoMillis(iso); }

TEST(FormulaTimeZoneTest, NewYorkFollowsItsTransitions) {
  const TimeZone* ny = SystemTimeZones()("America/New_York");
  ASSERT_NE(ny, nullptr);
  EXPECT_EQ(ny->OffsetAt(At("2024-03-10T06:59:59Z")), -5 * 3600);
  EXPECT_EQ(ny->OffsetAt(At("2024-03-10T07:00:00Z")), -4 * 3600);
  EXPECT_EQ(ny->OffsetAt(At("2024-11-03T05:59:59Z")), -4 * 3600);
  EXPECT_EQ(ny->OffsetAt(At("2024-11-03T06:00:00Z")), -5 * 3600);
  EXPECT_EQ(ny->OffsetAt(At("1950-07-01T00:00:00Z")), -4 * 3600);
}

TEST(FormulaTimeZoneTest, LookupIsCachedAndRefusesPaths) {
  auto zones = SystemTimeZones();
  EXPECT_EQ(zones("Asia/Kolkata"), zones("Asia/Kolkata"));
  EXPECT_EQ(zones("Asia/Kolkata")->OffsetAt(0), 19800);
  EXPECT_EQ(zones("Mars/Olympus"), nullptr);
  EXPECT_EQ(zones("../../etc/passwd"), nullptr);
  EXPECT_EQ(zones("/etc/localtime"), nullptr);
  EXPECT_EQ(zones(""), nullptr);
}

TEST(FormulaTimeZoneTest, FixedOffsetsAndBadData) {
  TimeZone fixed = TimeZone::FixedOffset("+05:30", 19800);
  EXPECT_EQ(fixed.OffsetAt(At("2024-06-01T00:00:00Z")), 19800);
  EXPECT_FALSE(TimeZone::FromTzif("x", "not tzif").ok());
  EXPECT_FALSE(TimeZone::FromTzif("x", std::string("TZif2") + std::string(60, '\0')).ok());
}

}  // namespace
}  // namespace airpg::formula
