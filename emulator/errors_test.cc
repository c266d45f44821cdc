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

// The path parser `airpg serve` uses too (airtable/wire/api_path.h): dot and
// empty segments are no route (it used to drop empty ones and take "." for a
// table name), so both servers agree on what a path names.
TEST(EmulatorErrorsTest, DotAndEmptySegmentsAreNoRoute) {
  TestEmulator emu;
  EXPECT_EQ(emu.Get("/v0/appTestBase000001/Clients").status, 200);
  // Encoded: an HTTP client (this test's too) squashes a literal `.`/`..`.
  for (const char* path : {"/v0/appTestBase000001/%2E/Clients", "/v0/appTestBase000001//Clients",
                           "/v0/appTestBase000001/Clients/%2e%2e"}) {
    Reply reply = emu.Get(path);
    EXPECT_EQ(reply.status, 404) << path;
    EXPECT_EQ(reply.body, json::parse(R"({"error":"NOT_FOUND"})")) << path;
  }
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

namespace airpg::emulator {
namespace {

EmulatorOptions WithPermission(const std::string& level) {
  EmulatorOptions options = TestEmulator::DefaultOptions();
  nlohmann::json data = nlohmann::json::parse(options.data_json);
  data["bases"][0]["permissionLevel"] = level;
  options.data_json = data.dump();
  return options;
}

TEST(EmulatorPermissionsTest, ReadOnlyBaseRefusesWrites) {
  TestEmulator emu(WithPermission("read"));
  EXPECT_EQ(emu.Get(kClients).status, 200);
  EXPECT_EQ(emu.Post(std::string(kClients) + "/listRecords", nlohmann::json::object()).status, 200);
  Reply create = emu.Post(kClients, {{"fields", {{"Name", "x"}}}});
  EXPECT_EQ(create.status, 403);
  EXPECT_EQ(create.body["error"]["type"], "INVALID_PERMISSIONS");
  EXPECT_EQ(create.body["error"]["message"],
            "You are not permitted to create records in table Clients (tblClients0000001)");
  EXPECT_EQ(emu.Delete(std::string(kClients) + "/recAda00000000001").body["error"]["message"],
            "You are not permitted to perform this operation");
  // A person in the UI is not limited by the token's permission level.
  EXPECT_EQ(
      emu.Post("/__emulator/ui/appTestBase000001/Clients", {{"fields", {{"Name", "x"}}}}).status,
      200);
}

TEST(EmulatorPermissionsTest, EditorsCannotChangeSchemaOrAddOptions) {
  TestEmulator emu(WithPermission("edit"));
  EXPECT_EQ(emu.Post(kClients, {{"fields", {{"Name", "x"}}}}).status, 200);
  Reply option = emu.Post(kClients, {{"fields", {{"Status", "Brand new"}}}, {"typecast", true}});
  EXPECT_EQ(option.status, 422);
  EXPECT_EQ(option.body["error"]["type"], "INVALID_MULTIPLE_CHOICE_OPTIONS");
  EXPECT_EQ(emu.Get("/v0/meta/bases/appTestBase000001/tables").status, 200);
  EXPECT_EQ(emu.Post("/v0/meta/bases/appTestBase000001/tables/Clients/fields",
                     {{"name", "E"}, {"type", "email"}})
                .status,
            403);
  EXPECT_EQ(
      emu.Post("/v0/bases/appTestBase000001/webhooks",
               {{"specification", {{"options", {{"filters", {{"dataTypes", {"tableData"}}}}}}}}})
          .status,
      403);
  EXPECT_EQ(emu.Get("/v0/bases/appTestBase000001/webhooks").status, 200);
}

TEST(EmulatorPermissionsTest, NoAccessLooksLikeMissing) {
  TestEmulator emu(WithPermission("none"));
  EXPECT_EQ(emu.Get(kClients).status, 403);
  EXPECT_EQ(emu.Get("/v0/meta/bases/appTestBase000001/tables").status, 403);
}

}  // namespace
}  // namespace airpg::emulator
