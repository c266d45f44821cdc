// Authentication, routing and the three error-body shapes (API.md §4).
#include <gtest/gtest.h>

#include "emulator/test_env.h"

namespace airpg::emulator {
namespace {

using nlohmann::json;

TEST(EmulatorErrorsTest, BearerTokenRequired) {
  TestEmulator emu;
  Reply none = emu.Send("GET", kClients, "", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.body, json::parse(R"({"error":{"type":"AUTHENTICATION_REQUIRED",
                                       "message":"Authentication required"}})"));
}

TEST(EmulatorErrorsTest, ConfiguredTokensOnly) {
  EmulatorOptions options = TestEmulator::DefaultOptions();
  options.tokens = {"patGood"};
  TestEmulator emu(options);
  EXPECT_EQ(emu.Send("GET", kClients, "", "patGood").status, 200);
  EXPECT_EQ(emu.Send("GET", kClients, "", "patBad").status, 401);
}

TEST(EmulatorErrorsTest, NotFoundShapes) {
  TestEmulator emu;
  Reply route = emu.Get("/v1/whatever");
  EXPECT_EQ(route.status, 404);
  EXPECT_EQ(route.body, json::parse(R"({"error":"NOT_FOUND"})"));
  EXPECT_EQ(emu.Get("/v0/appMissing0000001/Clients").body, json::parse(R"({"error":"NOT_FOUND"})"));
  Reply table = emu.Get("/v0/appTestBase000001/NoSuchTable");
  EXPECT_EQ(table.status, 403);
  EXPECT_EQ(table.body["error"]["type"], "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND");
  EXPECT_EQ(emu.Get("/__emulator/nothing").status, 404);
}

TEST(EmulatorErrorsTest, MalformedJsonIs400) {
  TestEmulator emu;
  Reply r = emu.Send("POST", kClients, "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["type"], "INVALID_REQUEST_UNKNOWN");
  EXPECT_EQ(emu.Send("POST", kClients, "{}").body["error"]["type"],
            "INVALID_REQUEST_MISSING_FIELDS");
}

TEST(EmulatorErrorsTest, ResetRestoresInitialState) {
  TestEmulator emu;
  emu.Delete(std::string(kClients) + "/recAda00000000001");
  EXPECT_EQ(emu.Get(kClients).body["records"].size(), 4u);
  EXPECT_EQ(emu.Post("/__emulator/reset", json::object()).status, 200);
  EXPECT_EQ(emu.Get(kClients).body["records"].size(), 5u);
  Reply state = emu.Get("/__emulator/state");
  EXPECT_EQ(state.body["bases"][0]["tables"][0]["records"].size(), 5u);
}

}  // namespace
}  // namespace airpg::emulator
