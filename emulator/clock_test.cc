// The emulated clock, ISO time parsing/formatting, and data-file round trips.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "emulator/clock.h"
#include "emulator/data_file.h"
#include "emulator/test_env.h"

namespace airpg::emulator {
namespace {

TEST(EmulatorClockTest, FormatsAndParsesIsoTimes) {
  EXPECT_EQ(FormatIsoMillis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoMillis(1662930228123), "2022-09-11T21:03:48.123Z");
  int64_t ms = 0;
  ASSERT_TRUE(ParseIsoMillis("2022-09-11T21:03:48.123Z", &ms));
  EXPECT_EQ(ms, 1662930228123);
  ASSERT_TRUE(ParseIsoMillis("2022-09-11", &ms));
  EXPECT_EQ(FormatIsoMillis(ms), "2022-09-11T00:00:00.000Z");
  ASSERT_TRUE(ParseIsoMillis("2022-09-11T23:30+02:00", &ms));
  EXPECT_EQ(FormatIsoMillis(ms), "2022-09-11T21:30:00.000Z");
  EXPECT_FALSE(ParseIsoMillis("21/4/2026, 23.33.26", &ms));
  EXPECT_FALSE(ParseIsoMillis("2022-13-01", &ms));
}

TEST(EmulatorClockTest, FreezeAdvanceAndRun) {
  EmulatorClock clock;
  clock.Freeze(1000);
  EXPECT_TRUE(clock.frozen());
  clock.Advance(500);
  EXPECT_EQ(clock.NowMillis(), 1500);
  clock.Unfreeze();
  EXPECT_FALSE(clock.frozen());
  EXPECT_GE(clock.NowMillis(), 1500);
}

TEST(EmulatorClockTest, AdminEndpointControlsTheClock) {
  TestEmulator emu;
  Reply now = emu.Get("/__emulator/clock");
  EXPECT_EQ(now.body["now"], "2025-01-01T00:00:00.000Z");
  Reply moved = emu.Post("/__emulator/clock", {{"advanceSeconds", 90}});
  EXPECT_EQ(moved.body["now"], "2025-01-01T00:01:30.000Z");
  Reply set = emu.Post("/__emulator/clock", {{"freezeAt", "2030-06-01T12:00:00Z"}});
  EXPECT_EQ(set.body["nowMillis"], 1906545600000);
  Reply created = emu.Post(kClients, {{"fields", {{"Name", "Later"}}}});
  EXPECT_EQ(created.body["createdTime"], "2030-06-01T12:00:00.000Z");
}

TEST(EmulatorDataFileTest, SaveAndLoadRoundTrip) {
  IdGenerator ids(7);
  auto model = ModelFromJson(nlohmann::ordered_json::parse(TestData()), ids, 0);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  std::string path = ::testing::TempDir() + "emulator_roundtrip.json";
  ASSERT_TRUE(SaveModelFile(*model, path).ok());
  auto again = LoadModelFile(path, ids, 0);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ModelToJson(*again), ModelToJson(*model));
  std::remove(path.c_str());
  EXPECT_EQ(LoadModelFile(path, ids, 0).status().code(), StatusCode::kNotFound);
}

TEST(EmulatorDataFileTest, StopSavesStateWhenAsked) {
  EmulatorOptions options = TestEmulator::DefaultOptions();
  options.save_path = ::testing::TempDir() + "emulator_saved.json";
  {
    TestEmulator emu(options);
    emu.Post(kClients, {{"fields", {{"Name", "Saved"}}}});
  }
  IdGenerator ids(1);
  auto saved = LoadModelFile(options.save_path, ids, 0);
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  EXPECT_EQ(saved->bases[0].tables[0].records.size(), 6u);
  std::remove(options.save_path.c_str());
}

TEST(EmulatorDataFileTest, RejectsUnknownFieldsInRecords) {
  IdGenerator ids(1);
  auto bad = ModelFromJson(
      nlohmann::ordered_json::parse(
          R"({"bases":[{"tables":[{"name":"T","fields":[{"name":"A","type":"singleLineText"}],
                                   "records":[{"fields":{"B":"x"}}]}]}]})"),
      ids, 0);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace airpg::emulator
