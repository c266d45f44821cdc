// Issue 17: `airpg serve` reads in postgres mode. A base is migrated from
// the emulator into Postgres, then the same list and get requests go to the
// emulator (the oracle) and to api::ApiService; the records (all pages
// followed) must be equal, for filters compiled to SQL and filters evaluated
// in process, sorts, fields[], maxRecords, pageSize with offsets,
// returnFieldsByFieldId, cellFormat=string and `view` (per-view snapshots
// taken by the migration and refreshed by the sync). Offsets stay valid
// while records are written between pages.
#include <gtest/gtest.h>

#include "api/api_service.h"
#include "api/tokens.h"
#include "http/url.h"
#include "pg/view_snapshots.h"
#include "sync/view_refresh.h"
#include "tests/integration/emulated_base_test.h"
#include "tests/integration/wait_for.h"

namespace airpg::testing {
namespace {

constexpr char kBase[] = "appConform0000001";
constexpr char kArtists[] = "tblArtists0000001";

class ServeReadsTest : public EmulatedBaseTest {
 protected:
  void SetUp() override {
    EmulatedBaseTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(StartAndMigrate(ReadFile(AIRPG_CONFORMANCE_DATA), kBase));
    api::ApiServiceOptions options;
    options.base_ids = {kBase};
    options.conninfo = url();
    options.require_tokens = false;  // tokens: ServeReadsTest.TokenScopesAreEnforced
    options.pool_size = 2;
    options.default_mode = api::RouteMode::kPostgres;
    options.plan_ttl = std::chrono::milliseconds(0);
    api_ = std::make_unique<api::ApiService>(options);
  }

  // The answer of the emulator and of the API to the same request.
  std::pair<json, json> Both(const std::string& method, const std::string& target,
                             const std::string& body = "", int* api_status = nullptr) {
    http::Client client;
    auto emulated = client.Send(
        method, emulator_->url() + target,
        {{"Authorization", "Bearer patTest"}, {"Content-Type", "application/json"}}, body);
    EXPECT_TRUE(emulated.ok());
    http::Request request;
    request.method = method;
    request.target = target;
    request.headers["authorization"] = "Bearer patTest";
    request.body = body;
    http::Response served = api_->Handle(request);
    if (api_status) *api_status = served.status;
    return {json::parse(emulated.ok() ? emulated->body : "null", nullptr, false),
            json::parse(served.body, nullptr, false)};
  }

  // Every record of a list, following offsets, from the API only.
  json AllPages(const std::string& target) {
    json records = json::array();
    std::string offset;
    for (int page = 0; page < 100; ++page) {
      http::Request request;
      request.method = "GET";
      request.target = target + (offset.empty() ? "" : "&offset=" + http::PercentEncode(offset));
      request.headers["authorization"] = "Bearer patTest";
      json body = json::parse(api_->Handle(request).body, nullptr, false);
      EXPECT_TRUE(body.contains("records")) << body.dump();
      for (const json& r : body["records"]) records.push_back(r);
      if (!body.contains("offset")) break;
      offset = body["offset"].get<std::string>();
    }
    return records;
  }

  void ExpectSame(const std::string& method, const std::string& target,
                  const std::string& body = "") {
    auto [emulated, served] = Both(method, target, body);
    ASSERT_TRUE(emulated.contains("records")) << target << ": " << emulated.dump();
    EXPECT_EQ(served["records"], emulated["records"]) << method << " " << target << " " << body;
    EXPECT_EQ(served.contains("offset"), emulated.contains("offset")) << target;
  }

  std::string List(const std::string& query = "") {
    return std::string("/v0/") + kBase + "/" + kArtists + "?" + query;
  }

  // A service of its own whose every statement is kept in `sql` and
  // `params` (the last one run), for the tests that read its plan.
  std::unique_ptr<api::ApiService> RecordingApi(std::string& sql, std::vector<pg::Param>& params) {
    api::ApiServiceOptions options;
    options.base_ids = {kBase};
    options.conninfo = url();
    options.require_tokens = false;
    options.default_mode = api::RouteMode::kPostgres;
    options.on_query = [&sql, &params](std::string_view s, const std::vector<pg::Param>& p) {
      sql = s;
      params = p;
    };
    return std::make_unique<api::ApiService>(options);
  }

  // Postgres's plan of `sql` (EXPLAIN), one line a row; "" on failure.
  std::string Explain(const std::string& sql, const std::vector<pg::Param>& params) {
    auto plan = conn().Exec("EXPLAIN " + sql, params);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    std::string text;
    for (int r = 0; plan.ok() && r < plan->size(); ++r) {
      text += std::string(plan->Get(r, 0)) + "\n";
    }
    return text;
  }

  std::unique_ptr<api::ApiService> api_;
};

TEST_F(ServeReadsTest, ListsLikeTheEmulator) {
  ExpectSame("GET", List());
  ExpectSame("GET", List("fields%5B%5D=Name&fields%5B%5D=Price&maxRecords=2"));
  ExpectSame("GET", List("sort%5B0%5D%5Bfield%5D=Genre&sort%5B0%5D%5Bdirection%5D=asc&"
                         "sort%5B1%5D%5Bfield%5D=Name&sort%5B1%5D%5Bdirection%5D=desc"));
  ExpectSame("GET", List("sort%5B0%5D%5Bfield%5D=Price&sort%5B0%5D%5Bdirection%5D=desc"));
  ExpectSame("GET", List("returnFieldsByFieldId=true"));
  ExpectSame("GET", List("cellFormat=string&timeZone=utc&userLocale=en-us"));
}

// recordMetadata[]=commentCount: present on every record, as Airtable's
// (comment counts are not mirrored; the conformance base has no comments,
// so the emulator's counts are 0 too — docs/serve.md).
TEST_F(ServeReadsTest, RecordMetadataCommentCount) {
  ExpectSame("GET", List("recordMetadata%5B%5D=commentCount"));
  ExpectSame("POST", std::string("/v0/") + kBase + "/" + kArtists + "/listRecords",
             R"({"recordMetadata":["commentCount"],"pageSize":2})");
  auto [emulated, served] = Both("GET", List("recordMetadata%5B%5D=commentCount"));
  ASSERT_FALSE(served["records"].empty());
  EXPECT_EQ(served["records"][0]["commentCount"], 0);
}

// A sorted list makes serve build an index on the sorted column
// (api/sort_indexes.h), and the page's statement reads it in order.
TEST_F(ServeReadsTest, SortedListsGetAnIndexThePageStatementUses) {
  std::string sql;
  std::vector<pg::Param> params;
  std::unique_ptr<api::ApiService> recording = RecordingApi(sql, params);
  api::ApiService& api = *recording;
  http::Request request;
  request.method = "GET";
  request.target = List("sort%5B0%5D%5Bfield%5D=Price&sort%5B0%5D%5Bdirection%5D=desc");
  request.headers["authorization"] = "Bearer patTest";
  ASSERT_EQ(api.Handle(request).status, 200);
  api.DrainSortIndexes();
  std::string index = Scalar(
      "SELECT indexname FROM pg_indexes WHERE indexname LIKE '%airpg_sort%' AND indexdef LIKE "
      "'%(price NULLS FIRST, id)%'");
  ASSERT_FALSE(index.empty());
  EXPECT_EQ(Scalar("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                   "WHERE c.relname = '" +
                   index + "'"),
            "t");
  // The conformance table is tiny: with scans of the whole table ruled out,
  // the plan shows which index serves the order.
  ASSERT_TRUE(conn().Run("SET enable_seqscan = off").ok());
  ASSERT_TRUE(conn().Run("SET enable_bitmapscan = off").ok());
  std::string text = Explain(sql, params);
  EXPECT_NE(text.find("Index Scan Backward using " + index), std::string::npos) << text;
}

// A later page of an ascending sort starts with a row comparison the
// planner seeks the sort index with (an Index Cond), not a filter over the
// rows before it; its records are still the emulator's.
TEST_F(ServeReadsTest, LaterPagesSeekTheSortIndex) {
  for (const std::string field : {"Name", "Price"}) {
    std::string target = List("pageSize=1&sort%5B0%5D%5Bfield%5D=" + field);
    auto [emulated, served] = Both("GET", List("sort%5B0%5D%5Bfield%5D=" + field));
    EXPECT_EQ(AllPages(target), emulated["records"]) << field;
  }
  std::string sql;
  std::vector<pg::Param> params;
  std::unique_ptr<api::ApiService> recording = RecordingApi(sql, params);
  api::ApiService& api = *recording;
  http::Request request;
  request.method = "GET";
  request.target = List("pageSize=2&sort%5B0%5D%5Bfield%5D=Name");
  request.headers["authorization"] = "Bearer patTest";
  http::Response first = api.Handle(request);
  ASSERT_EQ(first.status, 200);
  json page = json::parse(first.body);
  ASSERT_TRUE(page.contains("offset")) << page.dump();
  request.target += "&offset=" + http::PercentEncode(page["offset"].get<std::string>());
  ASSERT_EQ(api.Handle(request).status, 200);
  api.DrainSortIndexes();
  std::string index = Scalar(
      "SELECT indexname FROM pg_indexes WHERE indexname LIKE '%airpg_sort%' AND indexdef LIKE "
      "'%lower(%name%NULLS FIRST, id)%'");
  ASSERT_FALSE(index.empty());
  // The conformance table is tiny: with other plans ruled out, the plan
  // shows whether the index is sought or only read in order.
  ASSERT_TRUE(conn().Run("SET enable_seqscan = off").ok());
  ASSERT_TRUE(conn().Run("SET enable_bitmapscan = off").ok());
  ASSERT_TRUE(conn().Run("SET enable_sort = off").ok());
  std::string text = Explain(sql, params);
  EXPECT_NE(text.find("Index Scan using " + index), std::string::npos) << sql << "\n" << text;
  EXPECT_NE(text.find("Index Cond: (ROW("), std::string::npos) << sql << "\n" << text;
}

TEST_F(ServeReadsTest, FiltersCompiledAndEvaluatedInProcess) {
  ExpectSame("GET", List("filterByFormula=" + http::PercentEncode("{Price} < 100")));
  ExpectSame("POST", std::string("/v0/") + kBase + "/" + kArtists + "/listRecords",
             R"j({"filterByFormula":"AND({On Display?}, {Name} != 'Cleo')"})j");
  // A link field is no plain column: this one is evaluated over the rows.
  ExpectSame("GET", List("filterByFormula=" + http::PercentEncode("{Works} != ''")));
  ExpectSame("GET", List("filterByFormula=" + http::PercentEncode("FIND('a', LOWER({Name}))")));
  auto [emulated, served] =
      Both("GET", List("filterByFormula=" + http::PercentEncode("{Nope} = 1")));
  EXPECT_EQ(served, emulated);
}

TEST_F(ServeReadsTest, PagesWithKeysetOffsets) {
  auto [emulated, served] = Both("GET", List("pageSize=100"));
  EXPECT_EQ(AllPages(List("pageSize=2")), emulated["records"]);
  EXPECT_EQ(AllPages(List("pageSize=1&sort%5B0%5D%5Bfield%5D=Name&sort%5B0%5D%5Bdirection%5D="
                          "desc&filterByFormula=" +
                          http::PercentEncode("{Works} = ''"))),
            Both("GET", List("sort%5B0%5D%5Bfield%5D=Name&sort%5B0%5D%5Bdirection%5D=desc&"
                             "filterByFormula=" +
                             http::PercentEncode("{Works} = ''")))
                .first["records"]);
  // maxRecords holds across pages.
  EXPECT_EQ(AllPages(List("pageSize=2&maxRecords=3")).size(), 3u);
  // A token stays valid while rows are written: the next page starts after
  // the last row returned, whatever was inserted or deleted meanwhile.
  http::Request first;
  first.method = "GET";
  first.target = List("pageSize=2&sort%5B0%5D%5Bfield%5D=Name");
  first.headers["authorization"] = "Bearer patTest";
  json page = json::parse(api_->Handle(first).body);
  ASSERT_TRUE(page.contains("offset"));
  // Cleo (the first row of the next page) is deleted meanwhile.
  std::string relation = Scalar(
      "SELECT format('%I.%I', b.schema_name, t.table_name) FROM airpg.bases b JOIN airpg.tables "
      "t USING (base_id) WHERE t.table_id = 'tblArtists0000001'");
  // By the sync (origin airtable: past the write guard).
  ASSERT_TRUE(conn()
                  .RunScript("BEGIN; SET LOCAL airpg.origin = 'airtable'; UPDATE " + relation +
                             " SET deleted_at = now() WHERE airtable_id = 'recCleo0000000001'; "
                             "COMMIT")
                  .ok());
  first.target += "&offset=" + http::PercentEncode(page["offset"].get<std::string>());
  json next = json::parse(api_->Handle(first).body);
  ASSERT_EQ(next["records"].size(), 2u) << next.dump();
  EXPECT_EQ(next["records"][0]["fields"]["Name"], "Dara");
  EXPECT_EQ(next["records"][1]["fields"]["Name"], "Emil");
  first.target += "x";
  EXPECT_EQ(api_->Handle(first).status, 422);
}

TEST_F(ServeReadsTest, ViewsByNameAndIdLikeTheEmulator) {
  // The migration took the snapshots of both views of the table.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.view_snapshots WHERE table_id = '" +
                   std::string(kArtists) + "'"),
            "2");
  ExpectSame("GET", List("view=" + http::PercentEncode("On display")));
  ExpectSame("GET", List("view=viwOnDisplay00001"));
  ExpectSame("GET", List("view=" + http::PercentEncode("Grid view")));
  // A request sort overrides the view's order; a filter narrows the view.
  ExpectSame("GET", List("view=viwOnDisplay00001&sort%5B0%5D%5Bfield%5D=Name"));
  ExpectSame("GET", List("view=viwOnDisplay00001&filterByFormula=" +
                         http::PercentEncode("{Price} > 500")));
  ExpectSame("POST", std::string("/v0/") + kBase + "/" + kArtists + "/listRecords",
             R"j({"view":"On display","fields":["Name"],"maxRecords":2})j");
  // Pages of one record follow the view's order through keyset offsets.
  auto [emulated, served] = Both("GET", List("view=viwOnDisplay00001"));
  EXPECT_EQ(AllPages(List("view=viwOnDisplay00001&pageSize=1")), emulated["records"]);
  // An unknown view: Airtable's error body.
  int status = 0;
  auto [missing, served_missing] = Both("GET", List("view=Nope"), "", &status);
  EXPECT_EQ(status, 422);
  EXPECT_EQ(served_missing, missing);
  EXPECT_EQ(served_missing["error"]["type"], "VIEW_NAME_NOT_FOUND");
}

// The ids of a list's records, in order.
std::vector<std::string> Ids(const json& records) {
  std::vector<std::string> ids;
  for (const json& r : records) ids.push_back(r["id"].get<std::string>());
  return ids;
}

TEST_F(ServeReadsTest, ViewMembershipFollowsAirtableAfterARefresh) {
  std::string view = List("view=viwOnDisplay00001");
  // Airtable changes: Bruno joins the view, Alma leaves it.
  http::Client http;
  auto patched =
      http.Send("PATCH", emulator_->url() + "/v0/" + kBase + "/" + kArtists,
                {{"Authorization", "Bearer patTest"}, {"Content-Type", "application/json"}},
                R"j({"records":[{"id":"recBruno000000001","fields":{"On Display?":true}},
                      {"id":"recAlma0000000001","fields":{"On Display?":false}}]})j");
  ASSERT_TRUE(patched.ok() && patched->status == 200);
  auto [changed, stale] = Both("GET", view);
  ASSERT_EQ(
      Ids(changed["records"]),
      (std::vector<std::string>{"recEmil0000000001", "recCleo0000000001", "recBruno000000001"}));
  // Until the views are read again the snapshot answers; nothing is stale
  // yet, so a refresh reads nothing.
  EXPECT_EQ(
      Ids(stale["records"]),
      (std::vector<std::string>{"recEmil0000000001", "recCleo0000000001", "recAlma0000000001"}));
  int64_t requests = client_->stats().requests;
  auto idle = sync::RefreshStaleViews(*client_, conn(), kBase);
  ASSERT_TRUE(idle.ok()) << idle.status().ToString();
  EXPECT_EQ(idle->tables, 0);
  EXPECT_EQ(client_->stats().requests, requests);  // nothing stale: no request
  // A row the sync (or the API) creates after the snapshot is listed after
  // the members until the next refresh.
  std::string relation = Scalar(
      "SELECT format('%I.%I', b.schema_name, t.table_name) FROM airpg.bases b JOIN airpg.tables "
      "t USING (base_id) WHERE t.table_id = 'tblArtists0000001'");
  ASSERT_TRUE(conn()
                  .RunScript("BEGIN; SET LOCAL airpg.origin = 'airtable'; INSERT INTO " + relation +
                             " (airtable_id, airtable_created_time) VALUES ('recNewcomer000001', "
                             "now()); COMMIT")
                  .ok());
  EXPECT_EQ(Ids(Both("GET", view).second["records"]),
            (std::vector<std::string>{"recEmil0000000001", "recCleo0000000001", "recAlma0000000001",
                                      "recNewcomer000001"}));
  // A payload or poll touching the table marks its views stale; the refresh
  // reads both views again and the membership follows Airtable's.
  ASSERT_TRUE(pg::MarkViewsStale(conn(), kBase, {kArtists}).ok());
  auto refreshed = sync::RefreshStaleViews(*client_, conn(), kBase);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  EXPECT_EQ(refreshed->tables, 1);
  EXPECT_EQ(refreshed->views, 2);
  // Its cost: the base's schema, then one page per view (the other table's
  // view is not read).
  EXPECT_EQ(client_->stats().requests - requests, 3);
  EXPECT_EQ(Ids(Both("GET", view).second["records"]), Ids(changed["records"]));
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.view_snapshots WHERE stale_since IS NOT NULL"), "0");
}

TEST_F(ServeReadsTest, GetsAndMeta) {
  std::string get = std::string("/v0/") + kBase + "/" + kArtists + "/recAlma0000000001";
  auto [emulated, served] = Both("GET", get);
  EXPECT_EQ(served, emulated);
  int status = 0;
  auto [missing, served_missing] = Both("GET", get + "x", "", &status);
  EXPECT_EQ(status, 403);
  EXPECT_EQ(served_missing, missing);
  auto [tables, served_tables] = Both("GET", std::string("/v0/meta/bases/") + kBase + "/tables");
  ASSERT_EQ(served_tables["tables"].size(), tables["tables"].size());
  for (size_t i = 0; i < tables["tables"].size(); ++i) {
    EXPECT_EQ(served_tables["tables"][i]["id"], tables["tables"][i]["id"]);
    EXPECT_EQ(served_tables["tables"][i]["fields"].size(), tables["tables"][i]["fields"].size());
  }
  auto [bases, served_bases] = Both("GET", "/v0/meta/bases");
  EXPECT_EQ(served_bases["bases"], bases["bases"]);
  http::Request anonymous;
  anonymous.method = "GET";
  anonymous.target = get;
  EXPECT_EQ(api_->Handle(anonymous).status, 401);
}

TEST_F(ServeReadsTest, TokenScopesAreEnforced) {
  api::ApiServiceOptions options;
  options.base_ids = {kBase};
  options.conninfo = url();
  options.token_refresh = std::chrono::milliseconds(0);
  options.default_mode = api::RouteMode::kPostgres;
  api::ApiService secured(options);
  auto reader = api::CreateToken(conn(), "reader", {kBase}, {"data.records:read"});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto other_base = api::CreateToken(conn(), "elsewhere", {"appSomewhereElse1"},
                                     {"data.records:read", "schema.bases:read"});
  ASSERT_TRUE(other_base.ok());
  EXPECT_EQ(api::CreateToken(conn(), "reader", {}, {"data.records:read"}).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(api::CreateToken(conn(), "bad", {}, {"data.everything"}).status().code(),
            StatusCode::kInvalidArgument);
  // Only the hash is stored.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.api_tokens WHERE token_hash = '" +
                   api::TokenHash(*reader) + "'"),
            "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.api_tokens WHERE position('" + reader->substr(18) +
                   "' in token_hash || name) > 0"),
            "0");

  auto call = [&](const std::string& method, const std::string& target, const std::string& token) {
    http::Request request;
    request.method = method;
    request.target = target;
    if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
    request.body = method == "GET" ? "" : R"({"records":[{"fields":{"Name":"Zed"}}]})";
    return secured.Handle(request);
  };
  std::string records = std::string("/v0/") + kBase + "/" + kArtists;
  EXPECT_EQ(call("GET", records, "").status, 401);
  http::Response unknown = call("GET", records, "patUnknown00000000.00");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(json::parse(unknown.body)["error"]["type"], "AUTHENTICATION_REQUIRED");
  EXPECT_EQ(call("GET", records, *reader).status, 200);
  http::Response write = call("POST", records, *reader);
  EXPECT_EQ(write.status, 403);
  EXPECT_EQ(json::parse(write.body)["error"]["type"], "INVALID_PERMISSIONS");
  EXPECT_EQ(call("GET", std::string("/v0/meta/bases/") + kBase + "/tables", *reader).status, 403);
  http::Response elsewhere = call("GET", records, *other_base);
  EXPECT_EQ(elsewhere.status, 403);
  EXPECT_EQ(json::parse(elsewhere.body)["error"]["type"], "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND");
  EXPECT_EQ(json::parse(call("GET", "/v0/meta/bases", *other_base).body)["bases"].size(), 0u);
  ASSERT_TRUE(api::RevokeToken(conn(), "reader").ok());
  EXPECT_EQ(call("GET", records, *reader).status, 401);
  EXPECT_EQ(api::RevokeToken(conn(), "reader").code(), StatusCode::kNotFound);
}

// The base plans, routes and tokens are cached per process and reread only
// when the catalog changes (api/catalog_watch.h): with every cache's age
// limit an hour, a revoked token, a route set and a renamed field are each
// seen within a second (the issue's bound for routes) all the same.
TEST_F(ServeReadsTest, CatalogChangesReachTheCachesAtOnce) {
  using std::chrono::hours;
  api::ApiServiceOptions options;
  options.base_ids = {kBase};
  options.conninfo = url();
  options.plan_ttl = hours(1);
  options.route_refresh = hours(1);
  options.token_refresh = hours(1);
  options.default_mode = api::RouteMode::kPostgres;
  api::ApiService api(options);
  auto token = api::CreateToken(conn(), "cached", {kBase}, {"data.records:read"});
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  auto get = [&](const std::string& target) {
    http::Request request;
    request.method = "GET";
    request.target = target;
    request.headers["authorization"] = "Bearer " + *token;
    return api.Handle(request);
  };
  auto route_of = [](const http::Response& r) {
    for (const auto& [name, value] : r.headers) {
      if (name == "X-Airpg-Route") return value;
    }
    return std::string();
  };
  const auto kSecond = std::chrono::milliseconds(1000);
  // Loaded once: the token, the routes and the plan are cached now.
  ASSERT_EQ(get(List("fields%5B%5D=Name")).status, 200);
  ASSERT_EQ(get(List("fields%5B%5D=Label")).status, 422);

  ASSERT_TRUE(conn()
                  .Run("UPDATE airpg.fields SET airtable_name = 'Label' WHERE table_id = $1 AND "
                       "airtable_name = 'Name'",
                       {std::string(kArtists)})
                  .ok());
  EXPECT_TRUE(WaitFor([&] { return get(List("fields%5B%5D=Label")).status == 200; }, kSecond));

  ASSERT_EQ(route_of(get(List())), "postgres");
  ASSERT_TRUE(api::SetRoute(conn(), kBase, kArtists, api::RouteMode::kAirtable).ok());
  // No upstream here: the airtable route answers 503, under its route's name.
  EXPECT_TRUE(WaitFor([&] { return route_of(get(List())) == "airtable"; }, kSecond));
  ASSERT_TRUE(api::SetRoute(conn(), kBase, kArtists, api::RouteMode::kPostgres).ok());
  EXPECT_TRUE(WaitFor([&] { return route_of(get(List())) == "postgres"; }, kSecond));

  ASSERT_TRUE(api::RevokeToken(conn(), "cached").ok());
  EXPECT_TRUE(WaitFor([&] { return get(List()).status == 401; }, kSecond));
}

}  // namespace
}  // namespace airpg::testing
