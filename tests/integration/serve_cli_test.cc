// Issue 17: `airpg serve` as a user runs it — it syncs its base and serves
// the API, /healthz and /metrics on one port; a write through the API in
// postgres mode reaches Airtable through serve's own outbox; a change made
// in Airtable shows in the API's answer once the sync applied it, and in a
// `view` list once the sync read the view again; SIGTERM ends it with 0.
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include <gtest/gtest.h>

#include "airpg_process.h"
#include "emulated_base_test.h"
#include "http/client.h"
#include "serve_process.h"
#include "wait_for.h"

namespace airpg::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kBase[] = "appConform0000001";

class ServeCliTest : public EmulatedBaseTest {};

TEST_F(ServeCliTest, SyncsAndServesOnOnePort) {
  StartEmulator(ReadFile(AIRPG_CONFORMANCE_DATA));
  AirpgProcess airpg;
  UseTestBase(airpg, "patServeTest");
  ProcessOutput migrate = airpg.Run({"migrate", "--base", kBase});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  // The artists are read from Postgres; the other table follows
  // serve.default_mode (airtable).
  ProcessOutput bad_mode = airpg.Run({"route", "set", "tblArtists0000001", "mysql"});
  EXPECT_EQ(bad_mode.exit_code, 2) << bad_mode.err;
  ProcessOutput bad_table = airpg.Run({"route", "set", "Nope", "postgres", "--base", kBase});
  EXPECT_EQ(bad_table.exit_code, 2) << bad_table.err;
  ProcessOutput set = airpg.Run({"route", "set", "tblArtists0000001", "postgres", "--base", kBase});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  ProcessOutput list = airpg.Run({"route", "list", "--base", kBase, "--output", "json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  nlohmann::json routes = nlohmann::json::parse(list.out);
  ASSERT_EQ(routes.size(), 2u) << list.out;
  for (const auto& r : routes) {
    EXPECT_EQ(r["mode"], r["table_id"] == "tblArtists0000001" ? "postgres" : "airtable");
  }

  ProcessOutput created = airpg.Run({"token", "create", "app", "--bases", kBase, "--scopes",
                                     "data.records:read,data.records:write"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string token = Lines(created.out).at(0);
  ProcessOutput tokens = airpg.Run({"token", "list", "--output", "json"});
  ASSERT_EQ(tokens.exit_code, 0) << tokens.err;
  EXPECT_EQ(tokens.out.find(token), std::string::npos);  // never shown again
  EXPECT_EQ(nlohmann::json::parse(tokens.out)[0]["name"], "app");

  // Postgres may write the artists: writes through the API go to Airtable.
  airpg.SetEnv("AIRPG_SYNC_TABLES", "{tblArtists0000001: {authority: both}}");
  airpg.SetEnv("AIRPG_SYNC_DEBOUNCE_MS", "0");
  auto serve = airpg.Start(
      {"serve", "--base", kBase, "--loopback-pings", "--port", "0", "--threads", "4"}, "serve");
  ASSERT_NE(serve, nullptr);
  std::string url = ServeUrl(*serve);
  ASSERT_FALSE(url.empty());
  http::Client client;
  auto health = client.Send("GET", url + "/healthz", {}, "");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  auto metrics = client.Send("GET", url + "/metrics", {}, "");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("airpg_api_shadow_diffs_total 0"), std::string::npos)
      << metrics->body;

  std::string artists = url + "/v0/" + kBase + "/tblArtists0000001";
  std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + token}};
  auto page = client.Send("GET", artists + "?maxRecords=2", auth, "");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->status, 200) << page->body;
  EXPECT_EQ(nlohmann::json::parse(page->body)["records"].size(), 2u);
  auto anonymous = client.Send("GET", artists, {}, "");
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(anonymous->status, 401);
  // The sync stores the authority matrix as it starts.
  ASSERT_TRUE(WaitFor(
      [&] {
        return Scalar(
                   "SELECT coalesce(max(authority), '') FROM airpg.sync_authority WHERE "
                   "table_id = 'tblArtists0000001'") == "both";
      },
      30s));
  auto write = client.Send(
      "POST", artists, {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
      R"({"records":[{"fields":{"Name":"Zed"}}]})");
  ASSERT_TRUE(write.ok());
  ASSERT_EQ(write->status, 200) << write->body;
  std::string reserved = nlohmann::json::parse(write->body)["records"][0]["id"];
  // serve's own sync carries the write to Airtable through the outbox.
  EXPECT_TRUE(WaitFor(
      [&] {
        auto found = client.Send("GET",
                                 emulator_->url() + "/v0/" + kBase +
                                     "/tblArtists0000001?filterByFormula=%7BName%7D%3D%22Zed%22",
                                 {{"Authorization", "Bearer patServeTest"}}, "");
        return found.ok() && found->status == 200 &&
               nlohmann::json::parse(found->body)["records"].size() == 1;
      },
      30s));
  auto by_reserved = client.Send("GET", artists + "/" + reserved, auth, "");
  ASSERT_TRUE(by_reserved.ok());
  EXPECT_EQ(by_reserved->status, 200) << by_reserved->body;

  // A change made in Airtable reaches the API through the sync.
  auto changed = client.Send(
      "PATCH", emulator_->url() + "/v0/" + kBase + "/tblArtists0000001/recBruno000000001",
      {{"Authorization", "Bearer patServeTest"}, {"Content-Type", "application/json"}},
      R"({"fields":{"Name":"Bruno II"}})");
  ASSERT_TRUE(changed.ok());
  ASSERT_EQ(changed->status, 200) << changed->body;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto got = client.Send("GET", artists + "/recBruno000000001", auth, "");
        return got.ok() && got->body.find("Bruno II") != std::string::npos;
      },
      60s));

  // The Works table is proxied to Airtable.
  auto works = client.Send("GET", url + "/v0/" + kBase + "/tblWorks000000001", auth, "");
  ASSERT_TRUE(works.ok());
  EXPECT_EQ(works->status, 200) << works->body;

  ProcessOutput revoked = airpg.Run({"token", "revoke", "app"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto got = client.Send("GET", artists, auth, "");
        return got.ok() && got->status == 401;
      },
      30s));

  ExpectStopsOnSigterm(*serve);
}

// Issue 17: `view` in postgres mode through the real binary: the migration
// took the view's snapshot, and after a change in Airtable serve's own sync
// marks the table's views stale and reads them again (sync.view_refresh 0:
// at its next step), so the view's members and order follow Airtable's.
TEST_F(ServeCliTest, AViewFollowsAirtableThroughServesOwnSync) {
  StartEmulator(ReadFile(AIRPG_CONFORMANCE_DATA));
  AirpgProcess airpg;
  UseTestBase(airpg, "patServeTest");
  airpg.SetEnv("AIRPG_SYNC_VIEW_REFRESH", "0");
  ASSERT_EQ(airpg.Run({"migrate", "--base", kBase}).exit_code, 0);
  ProcessOutput set = airpg.Run({"route", "set", "tblArtists0000001", "postgres", "--base", kBase});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  ProcessOutput created =
      airpg.Run({"token", "create", "app", "--bases", kBase, "--scopes", "data.records:read"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string token = Lines(created.out).at(0);
  auto serve = airpg.Start(
      {"serve", "--base", kBase, "--loopback-pings", "--port", "0", "--threads", "4"}, "serve");
  ASSERT_NE(serve, nullptr);
  std::string url = ServeUrl(*serve);
  ASSERT_FALSE(url.empty());
  http::Client client;
  std::string query = "/v0/" + std::string(kBase) + "/tblArtists0000001?view=On%20display";
  auto ids = [&](const std::string& target, const std::string& bearer) {
    std::vector<std::string> out;
    auto got = client.Send("GET", target, {{"Authorization", "Bearer " + bearer}}, "");
    if (!got.ok() || got->status != 200) {
      ADD_FAILURE() << target << ": " << (got.ok() ? got->body : got.status().ToString());
      return out;
    }
    nlohmann::json body = nlohmann::json::parse(got->body);
    for (const auto& r : body["records"]) out.push_back(r["id"]);
    return out;
  };
  auto airtable = [&] { return ids(emulator_->url() + query, "patServeTest"); };
  auto served = [&] { return ids(url + query, token); };
  ASSERT_EQ(served(), airtable());
  ASSERT_EQ(served().size(), 3u);

  // Bruno joins the view, Alma leaves it.
  auto changed =
      client.Send("PATCH", emulator_->url() + "/v0/" + kBase + "/tblArtists0000001",
                  {{"Authorization", "Bearer patServeTest"}, {"Content-Type", "application/json"}},
                  R"j({"records":[{"id":"recBruno000000001","fields":{"On Display?":true}},
                      {"id":"recAlma0000000001","fields":{"On Display?":false}}]})j");
  ASSERT_TRUE(changed.ok());
  ASSERT_EQ(changed->status, 200) << changed->body;
  std::vector<std::string> expected = airtable();
  ASSERT_NE(expected, served());
  EXPECT_TRUE(WaitFor([&] { return served() == expected; }, 60s)) << serve->Stderr();

  ExpectStopsOnSigterm(*serve);
}

// Issue 17: many serve processes for one base. The first holds the base's
// sync lease; a second serves the API while it stands by. When the holder is
// SIGKILLed, the second takes the lease and syncs: a change made in Airtable
// then reaches Postgres, and its API.
TEST_F(ServeCliTest, SecondServeAnswersAndTakesOverTheSyncWhenTheHolderDies) {
  StartEmulator(ReadFile(AIRPG_CONFORMANCE_DATA));
  AirpgProcess airpg;
  UseTestBase(airpg, "patServeTest");
  ASSERT_EQ(airpg.Run({"migrate", "--base", kBase}).exit_code, 0);
  ASSERT_EQ(airpg.Run({"route", "set", "tblArtists0000001", "postgres", "--base", kBase}).exit_code,
            0);
  ProcessOutput created = airpg.Run({"token", "create", "app", "--bases", kBase});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + Lines(created.out).at(0)}};

  auto start = [&](const std::string& label, std::string* url) {
    auto serve = airpg.Start(
        {"serve", "--base", kBase, "--loopback-pings", "--port", "0", "--threads", "4"}, label);
    if (serve != nullptr) *url = ServeUrl(*serve);
    return serve;
  };
  // The holder of the lease names its process in application_name and holds
  // the advisory lock (a process waiting for it has the name too).
  auto holds_lease = [&](pid_t pid) {
    return Scalar(
               "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE "
               "l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'airpg sync " +
               std::to_string(pid) + "@%'") == "1";
  };
  std::string first_url, second_url;
  auto first = start("serve-first", &first_url);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(WaitFor([&] { return holds_lease(first->pid()); }, 30s));
  auto second = start("serve-second", &second_url);
  ASSERT_NE(second, nullptr);
  ASSERT_FALSE(second_url.empty()) << second->Stderr();

  // Both answer from Postgres; the second is still running, standing by.
  http::Client client;
  for (const std::string& url : {first_url, second_url}) {
    auto page = client.Send("GET", url + "/v0/" + kBase + "/tblArtists0000001", auth, "");
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->status, 200) << url << ": " << page->body;
  }
  EXPECT_FALSE(holds_lease(second->pid()));
  EXPECT_FALSE(second->Wait(0s).has_value()) << "the second serve exited: " << second->Stderr();

  first->Signal(SIGKILL);
  ASSERT_TRUE(first->Wait(30s).has_value());
  ASSERT_TRUE(WaitFor([&] { return holds_lease(second->pid()); }, 60s)) << second->Stderr();
  auto changed = client.Send(
      "PATCH", emulator_->url() + "/v0/" + kBase + "/tblArtists0000001/recBruno000000001",
      {{"Authorization", "Bearer patServeTest"}, {"Content-Type", "application/json"}},
      R"({"fields":{"Name":"Bruno after takeover"}})");
  ASSERT_TRUE(changed.ok());
  ASSERT_EQ(changed->status, 200) << changed->body;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto got = client.Send(
            "GET", second_url + "/v0/" + kBase + "/tblArtists0000001/recBruno000000001", auth, "");
        return got.ok() && got->body.find("Bruno after takeover") != std::string::npos;
      },
      60s))
      << second->Stderr();

  ExpectStopsOnSigterm(*second);
}

// A table with computed fields Postgres does not compute (Items.Unit: a
// division the compiler leaves to Airtable) goes to postgres only with
// --force, and the refusal names the fields; other routes need no --force.
TEST_F(ServeCliTest, RouteToPostgresNamesTheFieldsNotComputedUnlessForced) {
  // The chained base with a formula Postgres does not compute (no MOD in SQL).
  nlohmann::json data = nlohmann::json::parse(ReadFile(AIRPG_COMPUTED_CHAIN));
  data["bases"][0]["tables"][0]["fields"].push_back(
      {{"id", "fldItemOdd0000001"},
       {"name", "Odd"},
       {"type", "formula"},
       {"options",
        {{"formula", "MOD({fldItemQty0000001}, 2)"},
         {"isValid", true},
         {"result", {{"type", "number"}, {"options", {{"precision", 0}}}}}}}});
  StartEmulator(data.dump());
  AirpgProcess airpg;
  UseTestBase(airpg, "patServeTest");
  ProcessOutput migrate = airpg.Run({"migrate", "--base", "appChain000000001"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  ProcessOutput refused =
      airpg.Run({"route", "set", "Items", "postgres", "--base", "appChain000000001"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("Odd (fldItemOdd0000001, formula)"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  ProcessOutput shadow =
      airpg.Run({"route", "set", "Items", "shadow", "--base", "appChain000000001"});
  EXPECT_EQ(shadow.exit_code, 0) << shadow.err;
  ProcessOutput forced =
      airpg.Run({"route", "set", "Items", "postgres", "--base", "appChain000000001", "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  ProcessOutput list =
      airpg.Run({"route", "list", "--base", "appChain000000001", "--output", "json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  for (const auto& r : nlohmann::json::parse(list.out)) {
    if (r["table_id"] == "tblItems000000001") {
      EXPECT_EQ(r["mode"], "postgres");
    }
  }
}

}  // namespace
}  // namespace airpg::testing
