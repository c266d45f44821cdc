// Issue 17: shadow mode's allowance for the sync's lag and its order check.
// A read that finds differences is compared again once the table's poll has
// passed the time Airtable answered (api_service.h, shadow_recheck_wait);
// only what differs both times is recorded. So a change Airtable made that
// the sync had not applied yet is not a difference, while a planted one
// still is; and a sorted list whose records Postgres returns in another
// order is one "(order)" difference naming the request.
#include <gtest/gtest.h>

#include "api/api_service.h"
#include "api/routes.h"
#include "api/shadow_diffs.h"
#include "http/client.h"
#include "sync/live_schema.h"
#include "sync/record_applier.h"
#include "sync/safety_poll.h"
#include "tests/integration/emulated_base_test.h"
#include "tests/integration/wait_for.h"

namespace airpg::testing {
namespace {

constexpr char kBase[] = "appConform0000001";
constexpr char kArtists[] = "tblArtists0000001";

class ServeShadowTest : public EmulatedBaseTest {
 protected:
  void SetUp() override {
    EmulatedBaseTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(StartAndMigrate(ReadFile(AIRPG_CONFORMANCE_DATA), kBase));
  }

  std::unique_ptr<api::ApiService> MakeApi(std::chrono::milliseconds recheck_wait) {
    api::ApiServiceOptions options;
    options.base_ids = {kBase};
    options.conninfo = url();
    options.require_tokens = false;
    options.pool_size = 2;
    options.default_mode = api::RouteMode::kShadow;
    options.upstream = client_.get();
    options.shadow_recheck_wait = recheck_wait;
    return std::make_unique<api::ApiService>(options);
  }

  json Get(api::ApiService& api, const std::string& query) {
    http::Request request;
    request.method = "GET";
    request.target = std::string("/v0/") + kBase + "/" + kArtists + query;
    request.headers["authorization"] = "Bearer patTest";
    http::Response response = api.Handle(request);
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body, nullptr, false);
  }

  // Renames a record in Postgres only, past the write guard: a planted
  // difference.
  void Plant(const std::string& record_id, const std::string& name) {
    std::string relation = Scalar(
        "SELECT format('%I.%I', b.schema_name, t.table_name) FROM airpg.bases b JOIN "
        "airpg.tables t USING (base_id) WHERE t.table_id = 'tblArtists0000001'");
    std::string column = Scalar(
        "SELECT quote_ident(column_name) FROM airpg.fields WHERE field_id = "
        "'fldName0000000001'");
    ASSERT_TRUE(conn().Run("SELECT set_config('airpg.origin', 'airtable', false)").ok());
    ASSERT_TRUE(conn()
                    .Run("UPDATE " + relation + " SET " + column + " = $1 WHERE airtable_id = $2",
                         {name, record_id})
                    .ok());
    ASSERT_TRUE(conn().Run("SELECT set_config('airpg.origin', '', false)").ok());
  }

  // Renames a record in Airtable only (the emulator): the sync has not seen it.
  void ChangeInAirtable(const std::string& record_id, const std::string& name) {
    http::Client http;
    auto sent =
        http.Send("PATCH", emulator_->url() + "/v0/" + kBase + "/" + kArtists + "/" + record_id,
                  {{"Authorization", "Bearer patTest"}, {"Content-Type", "application/json"}},
                  json{{"fields", {{"Name", name}}}}.dump());
    ASSERT_TRUE(sent.ok());
    ASSERT_EQ(sent->status, 200) << sent->body;
  }

  // One poll of the artists, as the sync runs it.
  void Poll() {
    auto live = sync::LoadLiveBase(conn(), kBase);
    ASSERT_TRUE(live.ok()) << live.status().ToString();
    sync::RecordApplier applier(*live, {});
    auto polled = sync::PollTable(*client_, conn(), applier, *live, kArtists);
    ASSERT_TRUE(polled.ok()) << polled.status().ToString();
  }

  // "record field" of every recorded difference, in order.
  std::string Recorded() {
    return Scalar(
        "SELECT coalesce(string_agg(record_id || ' ' || field, ', ' ORDER BY id), '') FROM "
        "airpg.shadow_diffs");
  }
};

TEST_F(ServeShadowTest, AChangeTheSyncThenAppliesIsNoDifferenceAPlantedOneIs) {
  // So long that only the sync catching up can start the second compare.
  auto api = MakeApi(std::chrono::minutes(10));
  Plant("recBruno000000001", "Planted");
  ChangeInAirtable("recAlma0000000001", "Alma (renamed)");
  json list = Get(*api, "");
  ASSERT_EQ(list["records"].size(), 5u);
  // The first compare finds both, and waits for the sync.
  ASSERT_TRUE(WaitFor([&] { return api->stats().shadow_waiting == 1; }, std::chrono::seconds(60)));
  EXPECT_EQ(Recorded(), "");
  Poll();  // applies Alma's rename; Bruno's planted name stays
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_tables WHERE poll_watermark IS NOT NULL"), "1");
  api->DrainShadow();
  EXPECT_EQ(api->stats().shadow_rechecked, 1u);
  EXPECT_NE(api->RenderMetrics().find("airpg_api_shadow_rechecked_total 1\n"), std::string::npos);
  EXPECT_NE(api->RenderMetrics().find("airpg_api_shadow_waiting 0\n"), std::string::npos);
  EXPECT_EQ(api->stats().shadow_compared, 1u);
  EXPECT_EQ(api->stats().shadow_diffs, 1u);
  EXPECT_EQ(Recorded(), "recBruno000000001 Name");
}

TEST_F(ServeShadowTest, ASortedListInAnotherOrderIsAnOrderDifference) {
  auto api = MakeApi(std::chrono::milliseconds(0));
  Plant("recBruno000000001", "Aaron");  // first by name in Postgres only
  std::string sorted = "?sort%5B0%5D%5Bfield%5D=Name&sort%5B0%5D%5Bdirection%5D=asc";
  json list = Get(*api, sorted);
  ASSERT_EQ(list["records"].size(), 5u);
  EXPECT_EQ(list["records"][0]["id"], "recAlma0000000001");  // Airtable's answer
  api->DrainShadow();
  EXPECT_EQ(Recorded(), "recBruno000000001 Name,  (order)");
  EXPECT_EQ(Scalar("SELECT request FROM airpg.shadow_diffs WHERE field = '(order)'"),
            std::string("GET /v0/") + kBase + "/" + kArtists + sorted);
  EXPECT_EQ(Scalar("SELECT airtable_value::jsonb->>0 || ' ' || (postgres_value::jsonb->>0) FROM "
                   "airpg.shadow_diffs WHERE field = '(order)'"),
            "recAlma0000000001 recBruno000000001");
  // Without a sort the order is not compared: the cell is the only difference.
  ASSERT_TRUE(conn().Run("TRUNCATE airpg.shadow_diffs").ok());
  Get(*api, "");
  api->DrainShadow();
  EXPECT_EQ(Recorded(), "recBruno000000001 Name");
}

}  // namespace
}  // namespace airpg::testing
