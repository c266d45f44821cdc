// Rate limits on the emulated clock: 5/s per base, 50/s per token, 30 s penalty.
#include <gtest/gtest.h>

#include "emulator/test_env.h"

namespace airpg::emulator {
namespace {

using nlohmann::json;

EmulatorOptions Limited() {
  EmulatorOptions options = TestEmulator::DefaultOptions();
  options.rate_limits = true;
  return options;
}

TEST(EmulatorRateLimitTest, SixthRequestInASecondStartsThePenalty) {
  TestEmulator emu(Limited());
  for (int i = 0; i < 5; ++i) ASSERT_EQ(emu.Get(kClients).status, 200) << i;
  Reply limited = emu.Get(kClients);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.body, json::parse(R"({"error":{"type":"RATE_LIMIT_REACHED",
                                          "message":"Rate limit exceeded. Please try again later"}})"));
  emu.emulator().AdvanceClock(29999);
  EXPECT_EQ(emu.Get(kClients).status, 429);
  emu.emulator().AdvanceClock(1);
  EXPECT_EQ(emu.Get(kClients).status, 200);
  // Requests without a base (whoami) are not held by the base's penalty.
  for (int i = 0; i < 5; ++i) emu.Get(kClients);
  EXPECT_EQ(emu.Get("/v0/meta/whoami").status, 200);
}

TEST(EmulatorRateLimitTest, WindowSlides) {
  TestEmulator emu(Limited());
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(emu.Get(kClients).status, 200);
    emu.emulator().AdvanceClock(200);
  }
  // The first request is now 1000 ms old and has left the window.
  EXPECT_EQ(emu.Get(kClients).status, 200);
  EXPECT_EQ(emu.Get(kClients).status, 429);
}

TEST(EmulatorRateLimitTest, PerTokenLimitSpansBases) {
  EmulatorOptions options = Limited();
  options.per_token_per_second = 3;
  TestEmulator emu(options);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(emu.Get("/v0/meta/whoami").status, 200);
  EXPECT_EQ(emu.Get(kClients).status, 429);
  EXPECT_EQ(emu.Send("GET", kClients, "", "patOtherToken").status, 200);
}

TEST(EmulatorRateLimitTest, StatsAndSwitchingAtRuntime) {
  TestEmulator emu(Limited());
  for (int i = 0; i < 7; ++i) emu.Get(kClients);
  Reply stats = emu.Get("/__emulator/stats");
  ASSERT_EQ(stats.status, 200);
  EXPECT_EQ(stats.body["requests"], 7);
  EXPECT_EQ(stats.body["rateLimited"], 2);
  EXPECT_EQ(stats.body["bases"]["appTestBase000001"]["rateLimited"], 2);
  EXPECT_EQ(stats.body["bases"]["appTestBase000001"]["penaltyUntil"], "2025-01-01T00:00:30.000Z");
  Reply off = emu.Post("/__emulator/rate-limits", {{"enabled", false}});
  EXPECT_EQ(off.body["enabled"], false);
  EXPECT_EQ(emu.Get(kClients).status, 200);
  emu.Post("/__emulator/rate-limits", {{"enabled", true}, {"penaltyMillis", 0}, {"perBase", 1}});
  emu.emulator().AdvanceClock(1000);
  EXPECT_EQ(emu.Get(kClients).status, 200);
  EXPECT_EQ(emu.Get(kClients).status, 429);
  emu.emulator().AdvanceClock(1000);  // zero penalty: only the window holds
  EXPECT_EQ(emu.Get(kClients).status, 200);
}

}  // namespace
}  // namespace airpg::emulator
