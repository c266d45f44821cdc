// Injected faults: queued failures, probabilities, truncation, validation.
#include <gtest/gtest.h>

#include "emulator/test_env.h"
#include "http/client.h"

namespace airpg::emulator {
namespace {

using nlohmann::json;

TEST(EmulatorFaultsTest, FailNextQueuesErrors) {
  TestEmulator emu;
  Reply set = emu.Post("/__emulator/faults", {{"failNext", {{"status", 503}, {"count", 2}}}});
  ASSERT_EQ(set.status, 200) << set.body;
  Reply first = emu.Get(kClients);
  EXPECT_EQ(first.status, 503);
  EXPECT_EQ(first.body["error"]["type"], "RETRIABLE_ERROR");
  EXPECT_EQ(emu.Get(kClients).status, 503);
  EXPECT_EQ(emu.Get(kClients).status, 200);
  emu.Post("/__emulator/faults", {{"failNext", {{"status", 429}}}});
  Reply limited = emu.Get("/v0/meta/whoami");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.body["error"]["type"], "RATE_LIMIT_REACHED");
  EXPECT_EQ(emu.Get("/__emulator/stats").body["faultsInjected"], 3);
}

TEST(EmulatorFaultsTest, CertainProbabilitiesAlwaysFire) {
  TestEmulator emu;
  emu.Post("/__emulator/faults", {{"error502", 1.0}});
  EXPECT_EQ(emu.Get(kClients).status, 502);
  EXPECT_EQ(emu.Get("/__emulator/health").status, 200);  // control endpoints are exempt
  emu.Post("/__emulator/faults", {{"error502", 0}});
  EXPECT_EQ(emu.Get(kClients).status, 200);
  EXPECT_EQ(emu.Post("/__emulator/faults", {{"error500", 2}}).status, 422);
  EXPECT_EQ(emu.Post("/__emulator/faults", {{"failNext", {{"status", 200}}}}).status, 422);
}

TEST(EmulatorFaultsTest, TruncatedBodiesAreNotJson) {
  TestEmulator emu;
  emu.Post("/__emulator/faults", {{"truncate", 1.0}});
  http::Client client;
  auto response =
      client.Send("GET", emu.emulator().url() + kClients, {{"Authorization", "Bearer pat"}});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(json::parse(response->body, nullptr, false).is_discarded());
}

}  // namespace
}  // namespace airpg::emulator
