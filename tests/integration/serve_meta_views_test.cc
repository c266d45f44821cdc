// Issue 17, "Paths and shapes are Airtable's": `GET /v0/meta/bases/{b}/tables`
// through serve lists each table's views (id, name, type) as Airtable does,
// from the snapshots the migration took (pg/view_snapshots.h), instead of an
// empty list. The emulator's own answer for the same base is the reference.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "api/api_service.h"
#include "emulated_base_test.h"

namespace airpg {
namespace {

using testing::json;
using testing::ReadFile;
constexpr char kBase[] = "appConform0000001";

class ServeMetaViewsTest : public testing::EmulatedBaseTest {
 protected:
  void SetUp() override {
    EmulatedBaseTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(StartAndMigrate(ReadFile(AIRPG_CONFORMANCE_DATA), kBase));
  }
};

// The views of each table in a Meta API answer, as id/name/type only.
std::map<std::string, json> ViewsByTable(const json& answer) {
  std::map<std::string, json> out;
  for (const json& table : answer["tables"]) {
    json views = json::array();
    for (const json& v : table["views"]) {
      views.push_back({{"id", v["id"]}, {"name", v["name"]}, {"type", v.value("type", "")}});
    }
    out[table["id"].get<std::string>()] = views;
  }
  return out;
}

TEST_F(ServeMetaViewsTest, TablesListTheirViewsAsAirtableDoes) {
  api::ApiServiceOptions options;
  options.base_ids = {kBase};
  options.conninfo = url();
  options.require_tokens = false;
  options.pool_size = 1;
  options.default_mode = api::RouteMode::kPostgres;
  api::ApiService api(options);
  http::Request request;
  request.method = "GET";
  request.target = std::string("/v0/meta/bases/") + kBase + "/tables";
  request.headers["authorization"] = "Bearer patTest";
  http::Response ours = api.Handle(request);
  ASSERT_EQ(ours.status, 200) << ours.body;

  http::Client http;
  auto airtable = http.Send("GET", emulator_->url() + request.target,
                            {{"Authorization", "Bearer patTest"}}, "");
  ASSERT_TRUE(airtable.ok());
  ASSERT_EQ(airtable->status, 200) << airtable->body;

  std::map<std::string, json> expected = ViewsByTable(json::parse(airtable->body));
  std::map<std::string, json> got = ViewsByTable(json::parse(ours.body));
  EXPECT_EQ(got, expected);
  ASSERT_EQ(got["tblArtists0000001"].size(), 2u) << ours.body;
  EXPECT_EQ(got["tblArtists0000001"][1],
            (json{{"id", "viwOnDisplay00001"}, {"name", "On display"}, {"type", "grid"}}));
}

}  // namespace
}  // namespace airpg
