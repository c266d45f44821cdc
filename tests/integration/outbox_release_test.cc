// Postgres changes that used to stop short of Airtable (issue 16), through
// the real dispatcher to the emulator: a select value typecast in through
// serve's postgres mode is sent with typecast (else Airtable answers 422
// and the change goes dead); deletes the mass-delete breaker held are sent
// once an operator replays them, and the breaker counts from
// sync.min_held_deletes; and `airpg status` shows stopped writes and the
// outbox's pending, oldest pending, failed and dead changes.
#include <gtest/gtest.h>

#include "api/api_service.h"
#include "api/routes.h"
#include "cli/cmd_sync.h"
#include "cli/config.h"
#include "emulated_base_test.h"
#include "sync/authority.h"
#include "sync/live_schema.h"
#include "sync/outbox_dispatcher.h"
#include "sync/outbox_store.h"
#include "sync/sync_status.h"

namespace airpg {
namespace {

using testing::json;
using testing::ReadFile;
constexpr const char* kDelta = "appDeltaAnalytic1";
constexpr const char* kClients = "tblClients0000001";
const std::string kClientsTable = "delta_analytics_registration_tracking.clients";

class OutboxReleaseTest : public testing::TwoWayBaseTest {
 protected:
  OutboxReleaseTest() : TwoWayBaseTest(kDelta) {}

  void SetUp() override {
    TwoWayBaseTest::SetUp();
    StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
    ASSERT_TRUE(Run(kDelta).ok());
    sync::AuthorityConfig config;
    config.tables["Clients"].authority = sync::Authority::kBoth;
    ASSERT_NO_FATAL_FAILURE(StoreAuthority(config));
    ASSERT_TRUE(api::SetRoute(conn(), kDelta, kClients, api::RouteMode::kPostgres).ok());
    api::ApiServiceOptions options;
    options.base_ids = {kDelta};
    options.conninfo = url();
    options.require_tokens = false;
    options.pool_size = 2;
    options.route_refresh = std::chrono::milliseconds(0);
    options.upstream = client_.get();
    api_ = std::make_unique<api::ApiService>(options);
    ASSERT_NO_FATAL_FAILURE(OpenDispatchConnection());
    company_ = Column("fldCliName0000001");
  }

  json Call(const std::string& method, const std::string& target, const json& body, int* status) {
    http::Request request;
    request.method = method;
    request.target = "/v0/" + std::string(kDelta) + "/" + target;
    request.headers["authorization"] = "Bearer patTest";
    request.body = body.dump();
    http::Response response = api_->Handle(request);
    *status = response.status;
    return json::parse(response.body, nullptr, false);
  }

  Result<sync::DispatchReport> Dispatch(int64_t min_held_deletes = 10) {
    sync::DispatchOptions options = NoWaitDispatch();
    options.min_held_deletes = min_held_deletes;
    return DispatchOnce(*client_, options);
  }

  void DispatchAll() {
    DrainOutbox([this] {
      auto report = Dispatch();
      ASSERT_TRUE(report.ok()) << report.status().ToString();
    });
  }

  json Emulated(const std::string& id) {
    return Control("GET", std::string("ui/") + kDelta + "/Clients/" + id);
  }

  int EmulatedClients() {
    return static_cast<int>(
        Control("GET", std::string("ui/") + kDelta + "/Clients?pageSize=100")["records"].size());
  }

  // `n` clients made in Postgres and pushed; deleted again in one statement.
  void MakeAndDeleteClients(int n) {
    ASSERT_TRUE(conn()
                    .Run("INSERT INTO " + kClientsTable + " (" + company_ +
                             ") SELECT 'Bulk ' || i FROM generate_series(1, $1::int) i",
                         {std::to_string(n)})
                    .ok());
    DispatchAll();
    ASSERT_EQ(Scalar("SELECT count(*) FROM " + kClientsTable + " WHERE airtable_id IS NULL"), "0");
    before_ = EmulatedClients();
    ASSERT_TRUE(
        conn().Run("DELETE FROM " + kClientsTable + " WHERE " + company_ + " LIKE 'Bulk %'").ok());
  }

  std::unique_ptr<api::ApiService> api_;
  std::string company_;
  int before_ = 0;
};

// typecast adds a choice in Postgres (serve's postgres mode); the outbox
// sends the write with typecast, so Airtable adds it too: 200, not a dead
// 422 INVALID_MULTIPLE_CHOICE_OPTIONS.
TEST_F(OutboxReleaseTest, ATypecastSelectValueReachesAirtable) {
  int status = 0;
  json updated =
      Call("PATCH", std::string(kClients) + "/recCliHarbor0001",
           {{"typecast", true}, {"fields", {{"Tier", "Diamond"}, {"Industries", {"Aerospace"}}}}},
           &status);
  ASSERT_EQ(status, 200) << updated.dump();
  json made = Call(
      "POST", kClients,
      {{"typecast", true}, {"fields", {{"Company", "Typecast Co"}, {"Tier", "Emerald"}}}}, &status);
  ASSERT_EQ(status, 200) << made.dump();
  DispatchAll();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'dead'"), "0")
      << Scalar("SELECT string_agg(response, ' | ') FROM airpg.outbox WHERE status = 'dead'");
  json harbor = Emulated("recCliHarbor0001");
  EXPECT_EQ(harbor["fields"]["Tier"], "Diamond") << harbor.dump();
  EXPECT_EQ(harbor["fields"]["Industries"], json::array({"Aerospace"})) << harbor.dump();
  const std::string created = Scalar("SELECT airtable_id FROM " + kClientsTable + " WHERE " +
                                     company_ + " = 'Typecast Co'");
  ASSERT_FALSE(created.empty());
  EXPECT_EQ(Emulated(created)["fields"]["Tier"], "Emerald");
}

// More deletes of a table in one round than the breaker allows are held as
// dead letters (MASS_DELETE_HELD); `airpg dlq replay` releases them, and
// the next round sends them instead of holding them again.
TEST_F(OutboxReleaseTest, HeldDeletesAreSentOnceReplayed) {
  MakeAndDeleteClients(15);
  auto held = Dispatch();
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(held->dead, 15);
  EXPECT_EQ(held->deleted, 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'dead' AND error_type = "
                   "'MASS_DELETE_HELD'"),
            "15");
  EXPECT_EQ(EmulatedClients(), before_);
  auto replayed = sync::ReplayDeadChanges(conn(), kDelta, {});
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(*replayed, 15);
  auto sent = Dispatch();
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ(sent->dead, 0);
  EXPECT_EQ(sent->deleted, 15);
  EXPECT_EQ(EmulatedClients(), before_ - 15);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE status <> 'done'"), "0");
}

// The breaker holds only more deletes than sync.min_held_deletes.
TEST_F(OutboxReleaseTest, TheBreakerCountsFromMinHeldDeletes) {
  MakeAndDeleteClients(15);
  auto sent = Dispatch(/*min_held_deletes=*/20);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ(sent->dead, 0);
  EXPECT_EQ(sent->deleted, 15);
  EXPECT_EQ(EmulatedClients(), before_ - 15);
}

// A refused token stops the base's writes: `airpg status` says so (text and
// JSON) and shows the outbox as pending, oldest pending, failed and dead.
TEST_F(OutboxReleaseTest, StatusShowsStoppedWritesAndTheOutboxsHealth) {
  const std::string notes =
      Scalar("SELECT column_name FROM airpg.fields WHERE field_id = 'fldCliNotes000001'");
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + kClientsTable + " SET " + notes +
                       " = 'no token' WHERE airtable_id = 'recCliHarbor0001'")
                  .ok());
  ASSERT_TRUE(conn()
                  .Run("UPDATE airpg.outbox SET status = 'dead', error_type = 'X' WHERE outbox_id "
                       "= (SELECT max(outbox_id) FROM airpg.outbox)")
                  .ok());
  ASSERT_TRUE(conn()
                  .Run("UPDATE " + kClientsTable + " SET " + notes +
                       " = 'no token 2' WHERE airtable_id = 'recCliHarbor0001'")
                  .ok());
  Control("POST", "faults", {{"failNext", {{"status", 403}, {"count", 1}}}});
  auto refused = Dispatch();
  ASSERT_EQ(refused.status().code(), StatusCode::kPermissionDenied) << refused.status().ToString();
  auto read = sync::ReadSyncStatus(conn(), kDelta);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_TRUE(read->writes_stopped.has_value());
  for (const auto& t : read->tables) {
    if (t.table_id != kClients) continue;
    EXPECT_EQ(t.outbox_pending, 1);
    EXPECT_EQ(t.outbox_failed, 1);
    EXPECT_EQ(t.outbox_dead, 1);
    EXPECT_TRUE(t.oldest_pending.has_value());
  }
  cli::Config config;
  config.database_url = url();
  cli::SyncCliOptions options;
  options.base = kDelta;
  options.json = true;
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(cli::RunStatus(config, options), 0);
  json s = json::parse(::testing::internal::GetCapturedStdout(), nullptr, false);
  EXPECT_TRUE(s["writes_stopped"].is_string()) << s.dump();
  bool found = false;
  for (const auto& t : s["tables"]) {
    if (t["table_id"] != kClients) continue;
    found = true;
    EXPECT_EQ(t["outbox_pending"], 1) << t.dump();
    EXPECT_EQ(t["outbox_failed"], 1) << t.dump();
    EXPECT_EQ(t["outbox_dead"], 1) << t.dump();
    EXPECT_TRUE(t["outbox_oldest_pending"].is_string()) << t.dump();
  }
  EXPECT_TRUE(found);
  options.json = false;
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(cli::RunStatus(config, options), 0);
  const std::string text = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(text.find("writes to Airtable: STOPPED"), std::string::npos) << text;
  for (const char* column : {"PENDING", "OLDEST PENDING", "FAILED", "DEAD"}) {
    EXPECT_NE(text.find(column), std::string::npos) << column << "\n" << text;
  }
}

}  // namespace
}  // namespace airpg
