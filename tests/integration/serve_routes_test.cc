// Issue 17: routing per table. airtable proxies to Airtable (the emulator)
// through the pacer; postgres answers from Postgres; shadow serves
// Airtable's answer and records where Postgres disagrees, which a planted
// difference shows; flipping a table's route while a client reads fails no
// request; flipping it airtable → shadow → postgres → airtable twice under
// the real `airpg serve` while a client creates, updates, reads back and
// deletes fails no request, serves no stale read and loses no write.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "api/api_service.h"
#include "api/route_handover.h"
#include "api/routes.h"
#include "api/shadow_diffs.h"
#include "http/client.h"
#include "http/url.h"
#include "sync/authority.h"
#include "sync/live_schema.h"
#include "sync/outbox_dispatcher.h"
#include "sync/proxied_writes.h"
#include "tests/integration/airpg_process.h"
#include "tests/integration/emulated_base_test.h"
#include "tests/integration/wait_for.h"

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
    api_ = MakeApi(std::chrono::milliseconds(10000));
  }

  // The service as serve wires it: proxied writes applied to Postgres at once.
  std::unique_ptr<api::ApiService> MakeApi(std::chrono::milliseconds outbox_wait) {
    api::ApiServiceOptions options;
    options.base_ids = {kBase};
    options.conninfo = url();
    options.require_tokens = false;  // tokens: ServeReadsTest.TokenScopesAreEnforced
    options.pool_size = 4;
    options.route_refresh = std::chrono::milliseconds(0);  // every request reads the routes
    options.upstream = client_.get();
    options.outbox_wait = outbox_wait;
    options.on_proxied_write = [](pg::Connection& conn, const std::string& base_id,
                                  const std::string& table_id, const api::ProxiedChanges& changes) {
      return sync::ApplyProxiedWrite(conn, base_id, table_id, changes.upserts, changes.destroyed,
                                     changes.sent_at);
    };
    return std::make_unique<api::ApiService>(options);
  }

  // Postgres may write the artists (authority both), as `serve` sets it up.
  void Writable(sync::ConflictRule rule = sync::ConflictRule::kLatest) {
    auto live = sync::LoadLiveBase(conn(), kBase);
    ASSERT_TRUE(live.ok()) << live.status().ToString();
    sync::AuthorityConfig config;
    config.tables[kArtists].authority = sync::Authority::kBoth;
    config.tables[kArtists].conflict = rule;
    auto resolved = sync::ResolveAuthority(*live, config);
    ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
    ASSERT_TRUE(sync::StoreAuthority(conn(), *live, *resolved).ok());
    ASSERT_TRUE(sync::InstallWriteTriggers(conn(), *live).ok());
  }

  // The outbox sends everything queued (rounds until nothing is pending).
  void DispatchAll() {
    for (int i = 0; i < 10; ++i) {
      if (Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'pending'") == "0") return;
      ASSERT_NO_FATAL_FAILURE(DispatchRound());
    }
    ADD_FAILURE() << "the outbox did not drain";
  }

  // One outbox round, on a connection of its own.
  void DispatchRound() {
    auto dconn = pg::Connection::Open(url());
    ASSERT_TRUE(dconn.ok());
    sync::DispatchOptions options;
    options.claim.owner = "test";
    options.claim.debounce = std::chrono::milliseconds(0);
    options.link_wait = std::chrono::milliseconds(0);
    options.retry_initial = std::chrono::milliseconds(0);
    sync::OutboxDispatcher dispatcher(*client_, *dconn, kBase, options);
    auto report = dispatcher.RunOnce();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
  }

  // The artists' relation and Bio's column, quoted, for SQL writes.
  std::string Relation() {
    return Scalar(
        "SELECT format('%I.%I', b.schema_name, t.table_name) FROM airpg.bases b JOIN "
        "airpg.tables t USING (base_id) WHERE t.table_id = 'tblArtists0000001'");
  }
  std::string BioColumn() {
    return Scalar(
        "SELECT quote_ident(column_name) FROM airpg.fields WHERE field_id = "
        "'fldBio00000000001'");
  }

  json Call(const std::string& method, const std::string& target, const json& body = nullptr,
            int* status = nullptr) {
    http::Request request;
    request.method = method;
    request.target = target;
    request.headers["authorization"] = "Bearer patTest";
    if (!body.is_null()) request.body = body.dump();
    http::Response response = api_->Handle(request);
    if (status) *status = response.status;
    return json::parse(response.body, nullptr, false);
  }
  json Get(const std::string& target, int* status = nullptr) {
    return Call("GET", target, nullptr, status);
  }

  // The emulator's record (Airtable's side), by id; null when it has none.
  json InAirtable(const std::string& record_id) {
    http::Client http;
    auto got = http.Send(
        "GET", emulator_->url() + "/__emulator/ui/" + kBase + "/" + kArtists + "/" + record_id);
    if (!got.ok() || got->status != 200) return nullptr;
    return json::parse(got->body, nullptr, false);
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

// A create in postgres mode answers with a reserved id, not Airtable's. Once
// the table is routed to Airtable, the client keeps using that id: the proxy
// names the record by Airtable's id in the path, in `records[]` and in the
// body, and answers with Airtable's id.
TEST_F(ServeRoutesTest, ReservedIdsKeepNamingTheRecordAfterAFlipToAirtable) {
  Writable();
  Route(api::RouteMode::kPostgres);
  std::string table = std::string("/v0/") + kBase + "/" + kArtists;
  int status = 0;
  json made = Call("POST", table,
                   {{"records", {{{"fields", {{"Name", "Ida"}}}}, {{"fields", {{"Name", "Jo"}}}}}}},
                   &status);
  ASSERT_EQ(status, 200) << made.dump();
  std::string ida = made["records"][0]["id"], jo = made["records"][1]["id"];
  DispatchAll();
  std::string ida_airtable =
      Scalar("SELECT record_id FROM airpg.outbox_keys WHERE airpg_key = '" + ida + "'");
  ASSERT_NE(ida_airtable, "");
  ASSERT_NE(ida_airtable, ida);
  EXPECT_TRUE(InAirtable(ida).is_null());  // Airtable does not know the reserved id

  for (api::RouteMode mode : {api::RouteMode::kAirtable, api::RouteMode::kShadow}) {
    Route(mode);
    std::string bio = std::string("via ") + std::string(api::RouteModeName(mode));
    json got = Get(table + "/" + ida, &status);
    ASSERT_EQ(status, 200) << got.dump();
    EXPECT_EQ(got["id"], ida_airtable);
    EXPECT_EQ(got["fields"]["Name"], "Ida");
    json patched = Call("PATCH", table + "/" + ida, {{"fields", {{"Bio", bio}}}}, &status);
    ASSERT_EQ(status, 200) << patched.dump();
    EXPECT_EQ(InAirtable(ida_airtable)["fields"]["Bio"], bio);
    json batch = Call("PATCH", table,
                      {{"records", {{{"id", ida}, {"fields", {{"Bio", bio + "!"}}}}}}}, &status);
    ASSERT_EQ(status, 200) << batch.dump();
    EXPECT_EQ(InAirtable(ida_airtable)["fields"]["Bio"], bio + "!");
  }
  api_->DrainShadow();
  json deleted = Call("DELETE", table + "?records%5B%5D=" + jo, nullptr, &status);
  ASSERT_EQ(status, 200) << deleted.dump();
  std::string jo_airtable =
      Scalar("SELECT record_id FROM airpg.outbox_keys WHERE airpg_key = '" + jo + "'");
  EXPECT_EQ(deleted["records"][0]["id"], jo_airtable);
  EXPECT_TRUE(InAirtable(jo_airtable).is_null());
}

// A write proxied to Airtable is in Postgres when it is acknowledged (applied
// from Airtable's answer, origin airtable: audited, not queued back), so a
// read right after a flip to postgres sees it, with no sync running.
TEST_F(ServeRoutesTest, AProxiedWriteIsInPostgresWhenAcknowledged) {
  Writable();
  Route(api::RouteMode::kAirtable);
  std::string table = std::string("/v0/") + kBase + "/" + kArtists;
  int status = 0;
  json made = Call("POST", table, {{"fields", {{"Name", "Kai"}, {"Bio", "made"}}}}, &status);
  ASSERT_EQ(status, 200) << made.dump();
  std::string kai = made["id"];
  json patched =
      Call("PATCH", table + "/recBruno000000001", {{"fields", {{"Bio", "proxied"}}}}, &status);
  ASSERT_EQ(status, 200) << patched.dump();
  json deleted = Call("DELETE", table + "/recCleo0000000001", nullptr, &status);
  ASSERT_EQ(status, 200) << deleted.dump();
  int airtable_status = 0;  // what Airtable answers for a deleted record
  Get(table + "/recCleo0000000001", &airtable_status);
  EXPECT_NE(airtable_status, 200);

  Route(api::RouteMode::kPostgres);
  json got = Get(table + "/" + kai, &status);
  ASSERT_EQ(status, 200) << got.dump();
  EXPECT_EQ(got["fields"]["Bio"], "made");
  EXPECT_EQ(Get(table + "/recBruno000000001")["fields"]["Bio"], "proxied");
  Get(table + "/recCleo0000000001", &status);
  EXPECT_EQ(status, airtable_status);
  // Airtable's changes, not Postgres's: nothing goes back through the outbox.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.audit_log WHERE origin = 'airtable' AND "
                   "airtable_id IN ('" +
                   kai + "', 'recBruno000000001', 'recCleo0000000001')"),
            "3");
}

// A write proxied to Airtable is no Airtable edit. Under `latest` on a
// table without a modified-time field, the outbox's read before write of a
// later Postgres change of the same field (after a flip to postgres, or by
// SQL) meets the proxied value in Airtable: its applied answer is that
// field's last synced value, so only Postgres changed and no conflict is
// recorded. (This order held before; the test below is the one that failed.)
TEST_F(ServeRoutesTest, AProxiedWriteIsNoAirtableEditForALaterPostgresChange) {
  Writable(sync::ConflictRule::kLatest);  // the artists have no lastModifiedTime field
  Route(api::RouteMode::kAirtable);
  int status = 0;
  json patched = Call("PATCH", record_, {{"fields", {{"Bio", "proxied"}}}}, &status);
  ASSERT_EQ(status, 200) << patched.dump();
  // Then a postgres-mode write of the same field…
  Route(api::RouteMode::kPostgres);
  Call("PATCH", record_, {{"fields", {{"Bio", "after the flip"}}}}, &status);
  ASSERT_EQ(status, 200);
  DispatchAll();
  EXPECT_EQ(InAirtable("recBruno000000001")["fields"]["Bio"], "after the flip");
  // …and one by SQL.
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + Relation() + " SET " + BioColumn() +
                       " = 'by SQL' WHERE airtable_id = 'recBruno000000001'")
                  .ok());
  DispatchAll();
  EXPECT_EQ(InAirtable("recBruno000000001")["fields"]["Bio"], "by SQL");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_events WHERE kind = 'conflict'"), "0");
}

// The same while the proxied write is on its way: Airtable holds its value
// but its answer is not in Postgres yet when a Postgres change of the field
// (an SQL write, or a postgres-mode one after a flip) reaches the outbox. The
// read before write waits for the answer instead of taking the value for an
// Airtable edit that `latest` (no modified-time field: Airtable's edit
// counts from the read) lets win; the answer becomes the base and
// Postgres's later change goes across.
TEST_F(ServeRoutesTest, AProxiedWriteOnItsWayIsNoAirtableEditForAPostgresChangeMeanwhile) {
  Writable(sync::ConflictRule::kLatest);
  auto live = sync::LoadLiveBase(conn(), kBase);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  const mapping::TablePlan* artists = live->plan.FindTable(kArtists);
  ASSERT_NE(artists, nullptr);
  api::RouteHandover handover(std::chrono::milliseconds(10000),
                              [](pg::Connection& c, const std::string& base_id,
                                 const std::string& table_id, const api::ProxiedChanges& changes) {
                                return sync::ApplyProxiedWrite(c, base_id, table_id,
                                                               changes.upserts, changes.destroyed,
                                                               changes.sent_at);
                              });
  // serve's request leaves…
  http::Request request;
  request.method = "PATCH";
  request.target = record_;
  request.body = json({{"fields", {{"Bio", "proxied"}}}}).dump();
  auto proxy_conn = pg::Connection::Open(url());
  ASSERT_TRUE(proxy_conn.ok());
  api::InFlightWrite in_flight;
  auto sent = handover.Before(*proxy_conn, request, *artists, /*read=*/false, &in_flight);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  // …and Airtable makes it.
  airtable::RecordWrite proxied;
  proxied.id = "recBruno000000001";
  proxied.fields = {{"fldBio00000000001", "\"proxied\""}};
  ASSERT_TRUE(client_->WriteBatch(kBase, kArtists, {proxied}, {}).status.ok());
  // Before its answer is applied, an SQL write changes the field and the
  // outbox runs a round.
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + Relation() + " SET " + BioColumn() +
                       " = 'by SQL' WHERE airtable_id = 'recBruno000000001'")
                  .ok());
  const std::string bio_in_postgres =
      "SELECT " + BioColumn() + " FROM " + Relation() + " WHERE airtable_id = 'recBruno000000001'";
  ASSERT_NO_FATAL_FAILURE(DispatchRound());
  EXPECT_EQ(InAirtable("recBruno000000001")["fields"]["Bio"], "proxied");
  // The answer arrives.
  handover.After(*proxy_conn, kBase, *artists, InAirtable("recBruno000000001").dump(), in_flight);
  EXPECT_EQ(Scalar(bio_in_postgres), "by SQL");
  DispatchAll();
  EXPECT_EQ(InAirtable("recBruno000000001")["fields"]["Bio"], "by SQL");
  EXPECT_EQ(Scalar(bio_in_postgres), "by SQL");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_events WHERE kind = 'conflict'"), "0");
}

// Before a request is proxied, the table's Postgres writes still in the
// outbox go first: a write that would otherwise race an older queued change
// is refused with 503 while they cannot be sent (here: no dispatcher runs
// and the wait is 0), a read is served; once they are sent, the read is
// current and the write goes through.
TEST_F(ServeRoutesTest, AProxiedRequestWaitsForTheTablesOutbox) {
  Writable();
  api_ = MakeApi(std::chrono::milliseconds(0));
  Route(api::RouteMode::kPostgres);
  std::string bruno = std::string("/v0/") + kBase + "/" + kArtists + "/recBruno000000001";
  int status = 0;
  Call("PATCH", bruno, {{"fields", {{"Bio", "from postgres"}}}}, &status);
  ASSERT_EQ(status, 200);
  Route(api::RouteMode::kAirtable);
  json refused = Call("PATCH", bruno, {{"fields", {{"Bio", "from airtable"}}}}, &status);
  EXPECT_EQ(status, 503) << refused.dump();
  EXPECT_EQ(refused["error"]["type"], "SERVICE_UNAVAILABLE");
  Get(bruno, &status);
  EXPECT_EQ(status, 200);
  DispatchAll();
  EXPECT_EQ(Get(bruno)["fields"]["Bio"], "from postgres");
  Call("PATCH", bruno, {{"fields", {{"Bio", "from airtable"}}}}, &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(InAirtable("recBruno000000001")["fields"]["Bio"], "from airtable");
}

// A record read from Airtable before a Postgres delete reached it (the echo
// of an earlier write, applied late) does not bring the row back: the
// delete stays queued and reaches Airtable. The flip test found it lost.
TEST_F(ServeRoutesTest, ALateReadOfARecordKeepsItsPendingPostgresDelete) {
  Writable();
  Route(api::RouteMode::kPostgres);
  std::string bruno = std::string("/v0/") + kBase + "/" + kArtists + "/recBruno000000001";
  int status = 0;
  Call("DELETE", bruno, nullptr, &status);
  ASSERT_EQ(status, 200);
  // Airtable's record as a read made before the delete was sent has it.
  json stale = InAirtable("recBruno000000001");
  ASSERT_FALSE(stale.is_null());
  airtable::Record record;
  record.id = stale["id"];
  record.created_time = stale["createdTime"];
  record.AddField("fldName0000000001", stale["fields"]["Name"].dump());
  ASSERT_TRUE(sync::ApplyProxiedWrite(conn(), kBase, kArtists, {record}, {}).ok());
  DispatchAll();
  EXPECT_TRUE(InAirtable("recBruno000000001").is_null());
  Get(bruno, &status);
  EXPECT_NE(status, 200);
}

// A write proxied to Airtable whose answer is applied only after a later
// postgres-mode write of the record reached Airtable (the route flipped while
// the request was on its way) does not undo that write: the answer is older
// than the base the outbox recorded since the request left, so Postgres
// keeps its value and both sides end with the later write. (The outbox's read
// before write meets the proxied value as an Airtable edit; `postgres_wins`
// sends the later write, as `latest` does with a modified-time field.)
TEST_F(ServeRoutesTest, AProxiedWritesLateAnswerDoesNotUndoALaterPostgresWrite) {
  Writable(sync::ConflictRule::kPostgresWins);
  Route(api::RouteMode::kPostgres);
  std::string bruno = std::string("/v0/") + kBase + "/" + kArtists + "/recBruno000000001";
  // The proxied write leaves (the handover's clock) and lands in Airtable…
  std::string sent_at = Scalar("SELECT clock_timestamp()::text");
  airtable::RecordWrite proxied;
  proxied.id = "recBruno000000001";
  proxied.fields = {{"fldBio00000000001", "\"from airtable\""}};
  ASSERT_TRUE(client_->WriteBatch(kBase, kArtists, {proxied}, {}).status.ok());
  json landed = InAirtable("recBruno000000001");
  // …a postgres-mode write of the record reaches Airtable after it…
  int status = 0;
  Call("PATCH", bruno, {{"fields", {{"Bio", "from postgres"}}}}, &status);
  ASSERT_EQ(status, 200);
  DispatchAll();
  ASSERT_EQ(InAirtable("recBruno000000001")["fields"]["Bio"], "from postgres");
  // …and only then is the proxied write's answer applied.
  airtable::Record answer;
  answer.id = landed["id"];
  answer.created_time = landed["createdTime"];
  answer.AddField("fldName0000000001", landed["fields"]["Name"].dump());
  answer.AddField("fldBio00000000001", landed["fields"]["Bio"].dump());
  ASSERT_TRUE(sync::ApplyProxiedWrite(conn(), kBase, kArtists, {answer}, {}, sent_at).ok());
  EXPECT_EQ(Get(bruno)["fields"]["Bio"], "from postgres");
  DispatchAll();
  EXPECT_EQ(InAirtable("recBruno000000001")["fields"]["Bio"], "from postgres");
  EXPECT_EQ(Get(bruno)["fields"]["Bio"], "from postgres");
}

// `airpg route set` away from postgres says when the table's Postgres writes
// are still in the outbox (proxied requests wait for them).
TEST_F(ServeRoutesTest, RouteSetSaysWhenTheOutboxStillHoldsWrites) {
  Writable();
  AirpgProcess airpg;
  airpg.SetEnv("DATABASE_URL", url());
  airpg.SetEnv("AIRTABLE_ENDPOINT_URL", emulator_->url());
  airpg.SetEnv("AIRTABLE_TOKEN", "patServeTest");
  ProcessOutput quiet = airpg.Run({"route", "set", kArtists, "airtable", "--base", kBase});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out.find("outbox"), std::string::npos) << quiet.out;
  Route(api::RouteMode::kPostgres);
  int status = 0;
  Call("PATCH", std::string("/v0/") + kBase + "/" + kArtists + "/recBruno000000001",
       {{"fields", {{"Bio", "queued"}}}}, &status);
  ASSERT_EQ(status, 200);
  ProcessOutput noted = airpg.Run({"route", "set", kArtists, "shadow", "--base", kBase});
  ASSERT_EQ(noted.exit_code, 0) << noted.err;
  EXPECT_NE(noted.out.find("still in the outbox"), std::string::npos) << noted.out;
}

// With a dispatcher running, a read proxied right after a flip waits for the
// Postgres write the client made before it instead of missing it.
TEST_F(ServeRoutesTest, AReadAfterAFlipToAirtableSeesTheWritesBeforeIt) {
  Writable();
  Route(api::RouteMode::kPostgres);
  std::string bruno = std::string("/v0/") + kBase + "/" + kArtists + "/recBruno000000001";
  int status = 0;
  Call("PATCH", bruno, {{"fields", {{"Bio", "written in postgres"}}}}, &status);
  ASSERT_EQ(status, 200);
  Route(api::RouteMode::kAirtable);
  std::thread dispatcher([&] { DispatchAll(); });
  json got = Get(bruno, &status);
  dispatcher.join();
  ASSERT_EQ(status, 200) << got.dump();
  EXPECT_EQ(got["fields"]["Bio"], "written in postgres");
}

// What the flip test's client wrote and was told: per record (by its unique
// Name), the id the create answered with, the last Bio acknowledged and
// whether it was deleted.
struct Written {
  std::string id;
  std::string created_in;  // the route that answered the create
  std::string bio;
  bool deleted = false;
};

class ServeRouteFlipTest : public EmulatedBaseTest {
 protected:
  void SetUp() override {
    EmulatedBaseTest::SetUp();
    StartEmulator(ReadFile(AIRPG_CONFORMANCE_DATA));
    airpg_.SetEnv("DATABASE_URL", url());
    airpg_.SetEnv("AIRTABLE_ENDPOINT_URL", emulator_->url());
    airpg_.SetEnv("AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt);
    airpg_.SetEnv("AIRTABLE_TOKEN", "patServeTest");
    // The emulator has no rate limit here: the client's proxied requests
    // need not queue behind airpg's 3 a second.
    airpg_.SetEnv("AIRPG_AIRTABLE_PER_BASE_LIMIT", "40");
    airpg_.SetEnv("AIRPG_SYNC_TABLES", std::string("{") + kArtists + ": {authority: both}}");
    airpg_.SetEnv("AIRPG_SYNC_DEBOUNCE_MS", "0");
    // The client's deletes are deliberate (a third of a small table): the
    // mass-delete breaker must not hold them.
    airpg_.SetEnv("AIRPG_SYNC_MAX_DELETE_SHARE", "1");
    ProcessOutput migrate = airpg_.Run({"migrate", "--base", kBase});
    ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
    ProcessOutput token = airpg_.Run({"token", "create", "flip", "--bases", kBase, "--scopes",
                                      "data.records:read,data.records:write"});
    ASSERT_EQ(token.exit_code, 0) << token.err;
    token_ = Lines(token.out).at(0);
    serve_ = airpg_.Start(
        {"serve", "--base", kBase, "--loopback-pings", "--port", "0", "--threads", "6"}, "serve");
    ASSERT_NE(serve_, nullptr);
    const std::string prefix = "airpg serve: listening on 127.0.0.1:";
    ASSERT_TRUE(WaitFor([&] { return serve_->Stderr().find(prefix) != std::string::npos; },
                        std::chrono::seconds(60)))
        << serve_->Stderr();
    std::string err = serve_->Stderr();
    table_url_ = "http://127.0.0.1:" +
                 std::to_string(std::atoi(err.c_str() + err.find(prefix) + prefix.size())) +
                 "/v0/" + kBase + "/" + kArtists;
    // Postgres writes are allowed once the sync stored the authority.
    ASSERT_TRUE(WaitFor(
        [&] {
          return Scalar(
                     "SELECT coalesce(max(authority), '') FROM airpg.sync_authority WHERE "
                     "table_id = 'tblArtists0000001'") == "both";
        },
        std::chrono::seconds(60)));
  }

  void TearDown() override {
    if (serve_) {
      serve_->Signal(SIGTERM);
      auto out = serve_->Wait(std::chrono::seconds(60));
      EXPECT_TRUE(out.has_value());
      if (out) {
        EXPECT_EQ(out->exit_code, 0) << out->err;
      }
    }
    EmulatedBaseTest::TearDown();
  }

  // One request of the client: its answer and the route that answered it.
  struct Answer {
    int status = 0;
    std::string route;
    json body;
  };
  Answer Send(http::Client& client, const std::string& method, const std::string& suffix,
              const json& body = nullptr) {
    auto response =
        client.Send(method, table_url_ + suffix,
                    {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}},
                    body.is_null() ? "" : body.dump());
    Answer out;
    if (!response.ok()) return out;
    out.status = response->status;
    for (const auto& [name, value] : response->headers) {
      if (name == "x-airpg-route") out.route = value;
    }
    out.body = json::parse(response->body, nullptr, false);
    return out;
  }

  // Where `want` and both sides disagree, one line each; "" when they agree.
  std::string Mismatches(const std::map<std::string, Written>& want) {
    std::string relation = Scalar(
        "SELECT format('%I.%I', b.schema_name, t.table_name) FROM airpg.bases b JOIN "
        "airpg.tables t USING (base_id) WHERE t.table_id = 'tblArtists0000001'");
    auto column = [&](const char* field_id) {
      return Scalar(std::string("SELECT quote_ident(column_name) FROM airpg.fields WHERE "
                                "field_id = '") +
                    field_id + "'");
    };
    std::string name = column("fldName0000000001"), bio = column("fldBio00000000001");
    // Postgres: every row of each name (a duplicate would show as two).
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> pg;  // id, bio
    auto rows = conn().Exec("SELECT " + name + ", coalesce(airtable_id, ''), coalesce(" + bio +
                            ", '') FROM " + relation + " WHERE " + name +
                            " LIKE 'flip-%' AND deleted_at IS NULL");
    if (!rows.ok()) return rows.status().ToString();
    for (int i = 0; i < rows->size(); ++i) {
      pg[std::string(rows->Get(i, 0))].emplace_back(rows->Get(i, 1), rows->Get(i, 2));
    }
    // Airtable: every record of each name.
    std::map<std::string, std::vector<json>> at;
    std::string offset;
    do {
      json page = Control("GET", std::string("ui/") + kBase + "/" + kArtists + "?pageSize=100" +
                                     (offset.empty() ? "" : "&offset=" + offset));
      if (!page.contains("records")) return "the emulator did not list: " + page.dump();
      for (const json& r : page["records"]) {
        std::string n = r["fields"].value("Name", "");
        if (n.rfind("flip-", 0) == 0) at[n].push_back(r);
      }
      offset = page.value("offset", "");
    } while (!offset.empty());
    std::string out;
    for (const auto& [n, w] : want) {
      size_t expected = w.deleted ? 0 : 1;
      if (pg[n].size() != expected || at[n].size() != expected) {
        out += n + ": " + std::to_string(pg[n].size()) + " rows in Postgres, " +
               std::to_string(at[n].size()) + " records in Airtable, want " +
               std::to_string(expected) + "\n";
        continue;
      }
      if (w.deleted) continue;
      const json& record = at[n][0];
      std::string airtable_bio = record["fields"].value("Bio", "");
      if (pg[n][0].second != w.bio || airtable_bio != w.bio) {
        out += n + ": Bio '" + pg[n][0].second + "' in Postgres, '" + airtable_bio +
               "' in Airtable, last acknowledged '" + w.bio + "'\n";
      }
      if (pg[n][0].first != record["id"]) {
        out += n + ": Postgres names " + pg[n][0].first + ", Airtable " +
               record["id"].get<std::string>() + "\n";
      }
      // A postgres-mode create answered with a reserved id: it is the
      // record's airpg key (the outbox's upsert merged on it, so it made one
      // record); a proxied create answered with Airtable's own id.
      if (w.created_in == "postgres") {
        if (record["fields"].value("airpg key", "") != w.id) {
          out += n + ": airpg key '" + record["fields"].value("airpg key", "") + "', reserved " +
                 w.id + "\n";
        }
      } else if (record["id"] != w.id) {
        out +=
            n + ": Airtable id " + record["id"].get<std::string>() + ", created as " + w.id + "\n";
      }
    }
    for (const auto& [n, records] : at) {
      if (!want.count(n)) out += n + ": in Airtable, never acknowledged\n";
    }
    return out;
  }

  AirpgProcess airpg_;
  std::unique_ptr<ChildProcess> serve_;
  std::string token_;
  std::string table_url_;
};

// A client creating, updating, reading and deleting records while the route
// flips airtable → shadow → postgres → airtable twice: no request fails, reads
// see the last acknowledged write, ids hold across flips, nothing is
// dead-lettered, and both sides end with exactly the acknowledged records.
// It found the lost update of a create's outcome met by the inbound apply
// (OutboxTest.AnInboundApplyDuringACreatesOutcomeKeepsTheNewerPendingChange);
// AIRPG_FLIP_DEBUG=1 dumps the outbox, conflicts and audit rows of a mismatch.
TEST_F(ServeRouteFlipTest, FlippingUnderReadsAndWritesLosesNoRequestAndNoWrite) {
  std::mutex mu;
  std::map<std::string, Written> written;  // guarded by mu
  std::vector<std::string> failures;       // guarded by mu
  std::map<std::string, int> answered;     // by route; guarded by mu
  std::atomic<bool> done{false};

  std::thread client_thread([&] {
    http::Client client;
    // Checks one answer; a failure ends nothing (the flips go on) but is kept.
    auto expect = [&](const Answer& a, const std::string& what) {
      std::lock_guard lock(mu);
      ++answered[a.route];
      if (a.status != 200) {
        failures.push_back(what + " (" + a.route + "): " + std::to_string(a.status) + " " +
                           a.body.dump());
        return false;
      }
      return true;
    };
    auto fail = [&](const std::string& what) {
      std::lock_guard lock(mu);
      failures.push_back(what);
    };
    std::vector<std::string> alive;  // names, oldest first
    for (int i = 0; !done; ++i) {
      std::string name = "flip-" + std::to_string(i);
      std::string bio = "made " + std::to_string(i);
      Answer made =
          Send(client, "POST", "", {{"records", {{{"fields", {{"Name", name}, {"Bio", bio}}}}}}});
      if (!expect(made, "create " + name)) continue;
      std::string id = made.body["records"][0]["id"];
      {
        std::lock_guard lock(mu);
        written[name] = {id, made.route, bio, false};
      }
      alive.push_back(name);
      // Update it, then one made a few rounds (and probably a route) ago.
      for (const std::string& target :
           {name, alive.size() > 3 ? alive[alive.size() - 4] : std::string()}) {
        if (target.empty()) continue;
        std::string target_id, new_bio = "updated " + std::to_string(i) + " " + made.route;
        {
          std::lock_guard lock(mu);
          target_id = written[target].id;
        }
        Answer patched = Send(client, "PATCH", "/" + target_id, {{"fields", {{"Bio", new_bio}}}});
        if (!expect(patched, "update " + target)) continue;
        std::lock_guard lock(mu);
        written[target].bio = new_bio;
      }
      // Read back: by the id the create answered with, and in a list.
      for (const std::string& target : {name, alive.size() > 3 ? alive[alive.size() - 4] : name}) {
        std::string target_id, bio_now;
        {
          std::lock_guard lock(mu);
          target_id = written[target].id;
          bio_now = written[target].bio;
        }
        Answer got = Send(client, "GET", "/" + target_id);
        if (expect(got, "get " + target) && got.body["fields"].value("Bio", "") != bio_now) {
          fail("stale get of " + target + " (" + got.route + "): " + got.body.dump() +
               ", last written '" + bio_now + "'");
        }
        Answer listed = Send(client, "GET",
                             "?filterByFormula=" + http::PercentEncode("{Name}='" + target + "'"));
        if (expect(listed, "list " + target) &&
            (listed.body["records"].size() != 1 ||
             listed.body["records"][0]["fields"].value("Bio", "") != bio_now)) {
          fail("list of " + target + " (" + listed.route + "): " + listed.body.dump() +
               ", last written '" + bio_now + "'");
        }
      }
      // Every third round deletes the oldest record still alive.
      if (i % 3 == 2) {
        std::string victim = alive.front(), victim_id;
        {
          std::lock_guard lock(mu);
          victim_id = written[victim].id;
        }
        Answer deleted = Send(client, "DELETE", "/" + victim_id);
        if (expect(deleted, "delete " + victim)) {
          alive.erase(alive.begin());
          std::lock_guard lock(mu);
          written[victim].deleted = true;
        }
      }
    }
  });

  // Two cycles from serve.default_mode (airtable); each mode holds until the
  // client had 12 answers from it after the flip.
  auto answered_by = [&](const std::string& route) {
    std::lock_guard lock(mu);
    return answered[route];
  };
  for (api::RouteMode mode :
       {api::RouteMode::kShadow, api::RouteMode::kPostgres, api::RouteMode::kAirtable,
        api::RouteMode::kShadow, api::RouteMode::kPostgres, api::RouteMode::kAirtable}) {
    std::string route(api::RouteModeName(mode));
    int before = answered_by(route);
    ASSERT_TRUE(api::SetRoute(conn(), kBase, kArtists, mode).ok());
    EXPECT_TRUE(
        WaitFor([&] { return answered_by(route) >= before + 12; }, std::chrono::seconds(120)))
        << route << " answered " << answered_by(route) - before << " requests after the flip";
  }
  done = true;
  client_thread.join();

  std::lock_guard lock(mu);
  for (const std::string& f : failures) ADD_FAILURE() << f;
  EXPECT_GE(answered["postgres"], 24);
  EXPECT_GE(answered["shadow"], 24);
  EXPECT_GE(answered["airtable"], 24);
  EXPECT_EQ(answered[""], 0) << "requests without an answer from serve";
  // The outbox sent everything, none of it dead-lettered…
  EXPECT_TRUE(WaitFor(
      [&] { return Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'pending'") == "0"; },
      std::chrono::seconds(120)));
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'dead'"), "0");
  // …and once the sync caught up, both sides hold exactly what was acknowledged.
  std::string mismatches;
  WaitFor([&] { return (mismatches = Mismatches(written)).empty(); }, std::chrono::seconds(120));
  EXPECT_EQ(mismatches, "");
  if (!mismatches.empty() && std::getenv("AIRPG_FLIP_DEBUG")) {
    auto dump = [&](const std::string& sql) {
      auto rows = conn().Exec(sql);
      if (!rows.ok()) {
        std::cerr << rows.status().ToString() << "\n";
        return;
      }
      for (int i = 0; i < rows->size(); ++i) {
        for (int c = 0; c < rows->columns(); ++c) std::cerr << rows->Get(i, c) << " | ";
        std::cerr << "\n";
      }
    };
    dump(
        "SELECT outbox_id, row_id, airtable_id, operation, status, origin, "
        "coalesce(last_error,''), changed_columns::text, left(new_row::text, 200) FROM "
        "airpg.outbox ORDER BY outbox_id");
    dump(
        "SELECT record_id, field_id, rule, airtable_value::text, postgres_value::text, status, "
        "resolution FROM airpg.conflicts");
    dump(
        "SELECT at, operation, row_id, airtable_id, origin, changed_columns::text, "
        "left(new_row::text, 200) FROM airpg.audit_log ORDER BY audit_id");
  }
}

}  // namespace
}  // namespace airpg::testing
