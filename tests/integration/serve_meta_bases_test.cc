// Issue 17: GET /v0/meta/bases through `airpg serve` answers each base's
// permissionLevel from what is true: the level Airtable reported when the
// base was migrated (airpg.bases.permission_level), capped by the request
// token's scopes (api/permission_level.h), not a constant "create".
#include <gtest/gtest.h>

#include "api/api_service.h"
#include "api/tokens.h"
#include "tests/integration/emulated_base_test.h"

namespace airpg::testing {
namespace {

constexpr char kBase[] = "appConform0000001";

class ServeMetaBasesTest : public EmulatedBaseTest {
 protected:
  // The conformance base, as one whose user may only edit records.
  void MigrateWithLevel(const std::string& level) {
    json data = json::parse(ReadFile(AIRPG_CONFORMANCE_DATA));
    data["bases"][0]["permissionLevel"] = level;
    ASSERT_NO_FATAL_FAILURE(StartAndMigrate(data.dump(), kBase));
  }

  json Bases(api::ApiService& api, const std::string& token) {
    http::Request request;
    request.method = "GET";
    request.target = "/v0/meta/bases";
    request.headers["authorization"] = "Bearer " + token;
    http::Response response = api.Handle(request);
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body, nullptr, false);
  }

  api::ApiServiceOptions Options() {
    api::ApiServiceOptions options;
    options.base_ids = {kBase};
    options.conninfo = url();
    options.pool_size = 1;
    options.token_refresh = std::chrono::milliseconds(0);
    options.default_mode = api::RouteMode::kPostgres;
    return options;
  }
};

TEST_F(ServeMetaBasesTest, ThePermissionLevelIsAirtablesCappedByTheTokensScopes) {
  MigrateWithLevel("edit");
  EXPECT_EQ(Scalar("SELECT permission_level FROM airpg.bases"), "edit");
  api::ApiService api(Options());
  auto writer =
      api::CreateToken(conn(), "writer", {kBase},
                       {std::string(api::kScopeRecordsRead), std::string(api::kScopeRecordsWrite),
                        std::string(api::kScopeSchemaRead)});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  auto reader =
      api::CreateToken(conn(), "reader", {kBase},
                       {std::string(api::kScopeRecordsRead), std::string(api::kScopeSchemaRead)});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();

  json as_writer = Bases(api, *writer);
  ASSERT_EQ(as_writer["bases"].size(), 1u) << as_writer.dump();
  EXPECT_EQ(as_writer["bases"][0]["id"], kBase);
  EXPECT_EQ(as_writer["bases"][0]["permissionLevel"], "edit");  // Airtable's, not "create"
  json as_reader = Bases(api, *reader);
  ASSERT_EQ(as_reader["bases"].size(), 1u) << as_reader.dump();
  EXPECT_EQ(as_reader["bases"][0]["permissionLevel"], "read");
}

TEST_F(ServeMetaBasesTest, ACreatorsBaseIsCreateForAWriterAndReadForAReader) {
  MigrateWithLevel("create");
  api::ApiService api(Options());
  auto writer =
      api::CreateToken(conn(), "writer", {},
                       {std::string(api::kScopeRecordsWrite), std::string(api::kScopeSchemaRead)});
  auto reader = api::CreateToken(conn(), "reader", {}, {std::string(api::kScopeSchemaRead)});
  ASSERT_TRUE(writer.ok() && reader.ok());
  EXPECT_EQ(Bases(api, *writer)["bases"][0]["permissionLevel"], "create");
  EXPECT_EQ(Bases(api, *reader)["bases"][0]["permissionLevel"], "read");
}

}  // namespace
}  // namespace airpg::testing
