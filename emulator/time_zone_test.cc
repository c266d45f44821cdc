// Time zones from the tz database and date/time display text (cellFormat=string).
#include "emulator/time_zone.h"

#include <gtest/gtest.h>

#include "emulator/test_env.h"

namespace airpg::emulator {
namespace {

TEST(EmulatorTimeZoneTest, OffsetsComeFromTheTzDatabaseWithHistory) {
  int offset = -1;
  ASSERT_TRUE(UtcOffsetSeconds("utc", 0, &offset));
  EXPECT_EQ(offset, 0);
  ASSERT_TRUE(UtcOffsetSeconds("America/Chicago", 1719835200, &offset));  // July 2024: CDT
  EXPECT_EQ(offset, -5 * 3600);
  ASSERT_TRUE(UtcOffsetSeconds("America/Chicago", 1704110400, &offset));  // January 2024: CST
  EXPECT_EQ(offset, -6 * 3600);
  ASSERT_TRUE(UtcOffsetSeconds("Asia/Ho_Chi_Minh", 28782000, &offset));  // 1970: UTC+8
  EXPECT_EQ(offset, 8 * 3600);
  EXPECT_FALSE(UtcOffsetSeconds("Not/AZone", 0, &offset));
  EXPECT_FALSE(UtcOffsetSeconds("../etc/passwd", 0, &offset));
}

TEST(EmulatorTimeZoneTest, MatchesTheLiveCellFormatStringCapture) {
  // The Art Gallery "Testing Date" field: local date, 12-hour time, zone client;
  // listed with timeZone=Asia/Ho_Chi_Minh, userLocale=fr-ca → "1970-11-29 11:00am".
  Json options = Json::parse(R"({"dateFormat":{"name":"local","format":"l"},
      "timeFormat":{"name":"12hour","format":"h:mma"},"timeZone":"client"})");
  EXPECT_EQ(FormatDateCell("1970-11-29T03:00:00.000Z", options, true, "Asia/Ho_Chi_Minh", "fr-ca"),
            "1970-11-29 11:00am");
  EXPECT_EQ(FormatDateCell("1970-11-29T03:00:00.000Z", options, true, "utc", "en-us"),
            "11/29/1970 3:00am");
  Json us = Json::parse(R"({"dateFormat":{"name":"us"},"timeFormat":{"name":"24hour"},
      "timeZone":"America/Chicago"})");
  EXPECT_EQ(FormatDateCell("2024-07-01T12:00:00.000Z", us, true, "Asia/Tokyo", ""),
            "7/1/2024 07:00");
  Json friendly = Json::parse(R"({"dateFormat":{"name":"friendly"}})");
  EXPECT_EQ(FormatDateCell("2024-03-05", friendly, false, "", ""), "March 5, 2024");
  Json european = Json::parse(R"({"dateFormat":{"name":"european"}})");
  EXPECT_EQ(FormatDateCell("2024-03-05", european, false, "", ""), "5/3/2024");
}

TEST(EmulatorTimeZoneTest, ListRecordsRendersDatesInStringFormat) {
  TestEmulator emu;
  Reply r = emu.Get(std::string(kClients) +
                    "?cellFormat=string&timeZone=America%2FChicago&userLocale=en-us&maxRecords=1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["records"][0]["fields"]["Since"], "2020-05-01");          // iso date format
  EXPECT_EQ(r.body["records"][0]["fields"]["Created"], "2024-01-01 00:00");  // zone utc, 24-hour
}

}  // namespace
}  // namespace airpg::emulator
