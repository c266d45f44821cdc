// Issue 17: routing per table. airtable proxies to Airtable (the emulator)
// through the pacer; postgres answers from Postgres; shadow serves
// Airtable's answer and records where Postgres disagrees, which a planted
// difference shows; flipping a table's route while a client reads fails no
// request.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "api/api_service.h"
#include "api/routes.h"
#include "api/shadow_diffs.h"
#include "tests/integration/emulated_base_test.h"

namespace airpg::testing {
namespace {

constexpr char kBase[] = "appConform0000001";
constexpr char kArtists[] = "tblArtists0000001";

class ServeRoutesTest : public EmulatedBaseTest {
 protected:
  void SetUp() override {
    EmulatedBaseTest::SetUp();
    StartEmulator(ReadFile(AIRPG_CONFORMANCE_DATA));
    auto migrated = Run(kBase);
    ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
    api::ApiServiceOptions options;
    options.base_ids = {kBase};
    options.conninfo = url();
    options.require_tokens = false;  // tokens: ServeReadsTest.TokenScopesAreEnforced
    options.pool_size = 4;
    options.route_refresh = std::chrono::milliseconds(0);  // every request reads the routes
    options.upstream = client_.get();
    api_ = std::make_unique<api::ApiService>(options);
  }

  json Get(const std::string& target, int* status = nullptr) {
    http::Request request;
    request.method = "GET";
    request.target = target;
    request.headers["authorization"] = "Bearer patTest";
    http::Response response = api_->Handle(request);
    if (status) *status = response.status;
    return json::parse(response.body, nullptr, false);
  }

  void Route(api::RouteMode mode) {
    ASSERT_TRUE(api::SetRoute(conn(), kBase, kArtists, mode).ok());
  }

  // Renames Bruno in Postgres only: the planted difference.
  void Plant() {
    std::string relation = Scalar(
        "SELECT format('%I.%I', b.schema_name, t.table_name) FROM airpg.bases b JOIN "
        "airpg.tables t USING (base_id) WHERE t.table_id = 'tblArtists0000001'");
    std::string column = Scalar(
        "SELECT quote_ident(column_name) FROM airpg.fields WHERE field_id = "
        "'fldName0000000001'");
    // Behind airpg's back, past the write guard (origin airtable).
    ASSERT_TRUE(conn()
                    .RunScript("BEGIN; SET LOCAL airpg.origin = 'airtable'; UPDATE " + relation +
                               " SET " + column +
                               " = 'Planted' WHERE airtable_id = 'recBruno000000001'; COMMIT")
                    .ok());
  }

  std::string record_ = std::string("/v0/") + kBase + "/" + kArtists + "/recBruno000000001";
  std::unique_ptr<api::ApiService> api_;
};

TEST_F(ServeRoutesTest, EachModeAnswersFromItsSide) {
  Plant();
  // Unset: serve.default_mode, airtable here.
  EXPECT_EQ(Get(record_)["fields"]["Name"], "Bruno");
  EXPECT_EQ(api_->stats().proxied, 1u);
  Route(api::RouteMode::kPostgres);
  EXPECT_EQ(Get(record_)["fields"]["Name"], "Planted");
  Route(api::RouteMode::kAirtable);
  EXPECT_EQ(Get(record_)["fields"]["Name"], "Bruno");
  auto routes = api::ListRoutes(conn(), kBase);
  ASSERT_TRUE(routes.ok());
  ASSERT_EQ(routes->size(), 1u);
  EXPECT_EQ((*routes)[0].mode, api::RouteMode::kAirtable);
}

TEST_F(ServeRoutesTest, APlantedDifferenceShowsInTheShadowReport) {
  Plant();
  Route(api::RouteMode::kShadow);
  json list = Get(std::string("/v0/") + kBase + "/" + kArtists);
  ASSERT_EQ(list["records"].size(), 5u);
  for (const json& r : list["records"]) EXPECT_NE(r["fields"]["Name"], "Planted");  // Airtable's
  api_->DrainShadow();
  EXPECT_EQ(api_->stats().shadow_compared, 1u);
  EXPECT_EQ(api_->stats().shadow_diffs, 1u);
  EXPECT_NE(api_->RenderMetrics().find("airpg_api_shadow_diffs_total 1\n"), std::string::npos);
  auto report = api::SummarizeShadowDiffs(conn(), kBase);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->size(), 1u);
  EXPECT_EQ((*report)[0].table_id, kArtists);
  EXPECT_EQ((*report)[0].field, "Name");
  EXPECT_EQ((*report)[0].count, 1);
  EXPECT_EQ((*report)[0].last_record_id, "recBruno000000001");
  EXPECT_EQ(Scalar("SELECT airtable_value || ' ' || postgres_value FROM airpg.shadow_diffs"),
            "\"Bruno\" \"Planted\"");
}

TEST_F(ServeRoutesTest, FlippingRoutesFailsNoRead) {
  std::atomic<bool> done{false};
  std::atomic<int> ok{0}, failed{0};
  std::thread reader([&] {
    while (!done) {
      int status = 0;
      json list = Get(std::string("/v0/") + kBase + "/" + kArtists + "?pageSize=2", &status);
      (status == 200 && list["records"].size() == 2 ? ok : failed)++;
    }
  });
  for (api::RouteMode mode : {api::RouteMode::kShadow, api::RouteMode::kPostgres,
                              api::RouteMode::kAirtable, api::RouteMode::kPostgres}) {
    int before = ok.load();
    Route(mode);
    // Let a few reads through each mode.
    while (ok.load() < before + 5 && failed.load() == 0) std::this_thread::yield();
  }
  done = true;
  reader.join();
  api_->DrainShadow();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GE(ok.load(), 20);
}

}  // namespace
}  // namespace airpg::testing
