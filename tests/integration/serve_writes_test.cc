// Issue 17: record writes of `airpg serve` for tables routed to postgres.
// Creates, updates, replaces, upserts and deletes go to Postgres in one
// transaction each, the two-way sync's outbox carries them to Airtable (the
// emulator), a create answers at once with a reserved rec… id that keeps
// naming the record after the push, Airtable's limits and error bodies hold,
// and a table whose authority is airtable refuses with the setting named.
#include <gtest/gtest.h>

#include "airtable/wire/ids.h"
#include "api/api_service.h"
#include "api/routes.h"
#include "emulated_base_test.h"
#include "sync/authority.h"
#include "sync/live_schema.h"
#include "sync/outbox_dispatcher.h"

namespace airpg {
namespace {

using testing::json;
using testing::ReadFile;
constexpr const char* kDelta = "appDeltaAnalytic1";
constexpr const char* kClients = "tblClients0000001";
constexpr const char* kRegs = "tblRegistrations1";
constexpr const char* kStaff = "tblStaff000000001";
constexpr const char* kDocs = "tblDocuments00001";

class ServeWritesTest : public testing::EmulatedBaseTest {
 protected:
  void SetUp() override {
    EmulatedBaseTest::SetUp();
    StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
    ASSERT_TRUE(Run(kDelta).ok());
    auto live = sync::LoadLiveBase(conn(), kDelta);
    ASSERT_TRUE(live.ok()) << live.status().ToString();
    sync::AuthorityConfig config;  // Staff stays Airtable's
    config.tables["Clients"].authority = sync::Authority::kBoth;
    config.tables["Registrations"].authority = sync::Authority::kPostgres;
    config.tables["Documents"].authority = sync::Authority::kPostgres;
    auto resolved = sync::ResolveAuthority(*live, config);
    ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
    ASSERT_TRUE(sync::StoreAuthority(conn(), *live, *resolved).ok());
    ASSERT_TRUE(sync::InstallWriteTriggers(conn(), *live).ok());
    for (const char* table : {kClients, kRegs, kStaff, kDocs}) {
      ASSERT_TRUE(api::SetRoute(conn(), kDelta, table, api::RouteMode::kPostgres).ok());
    }
    api::ApiServiceOptions options;
    options.base_ids = {kDelta};
    options.conninfo = url();
    options.require_tokens = false;
    options.pool_size = 2;
    options.route_refresh = std::chrono::milliseconds(0);
    options.upstream = client_.get();
    api_ = std::make_unique<api::ApiService>(options);
    auto dconn = pg::Connection::Open(url());
    ASSERT_TRUE(dconn.ok());
    dispatch_conn_ = std::make_unique<pg::Connection>(std::move(dconn).value());
  }

  json Call(const std::string& method, const std::string& target, const json& body = nullptr,
            int* status = nullptr) {
    http::Request request;
    request.method = method;
    request.target = "/v0/" + std::string(kDelta) + "/" + target;
    request.headers["authorization"] = "Bearer patTest";
    if (!body.is_null()) request.body = body.dump();
    http::Response response = api_->Handle(request);
    if (status) *status = response.status;
    return json::parse(response.body, nullptr, false);
  }

  // Dispatch rounds until nothing is pending (a link waits a round), at most 10.
  void DispatchAll() {
    for (int i = 0; i < 10; ++i) {
      if (Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'pending'") == "0") return;
      sync::DispatchOptions options;
      options.claim.owner = "test";
      options.claim.debounce = std::chrono::milliseconds(0);
      options.link_wait = std::chrono::milliseconds(0);
      options.retry_initial = std::chrono::milliseconds(0);
      sync::OutboxDispatcher dispatcher(*client_, *dispatch_conn_, kDelta, options);
      auto report = dispatcher.RunOnce();
      ASSERT_TRUE(report.ok()) << report.status().ToString();
    }
    ADD_FAILURE() << "the outbox did not drain";
  }

  json Emulated(const std::string& table, const std::string& id) {
    return Control("GET", std::string("ui/") + kDelta + "/" + table + "/" + id);
  }

  // The emulator's record whose `airpg key` is `key` (the reserved id).
  json EmulatedByKey(const std::string& table, const std::string& key) {
    json records = Control("GET", std::string("ui/") + kDelta + "/" + table + "?pageSize=100");
    for (const json& r : records["records"]) {
      if (r["fields"].value("airpg key", "") == key) return r;
    }
    return nullptr;
  }

  std::unique_ptr<api::ApiService> api_;
  std::unique_ptr<pg::Connection> dispatch_conn_;
};

TEST_F(ServeWritesTest, CreateUpdateDeleteReachAirtableThroughTheOutbox) {
  int status = 0;
  json made =
      Call("POST", kClients,
           {{"records", {{{"fields", {{"Company", "Via Serve"}, {"Notes", "first"}}}}}}}, &status);
  ASSERT_EQ(status, 200) << made.dump();
  std::string reserved = made["records"][0]["id"];
  EXPECT_TRUE(airtable::wire::LooksLikeId(reserved, "rec")) << reserved;
  EXPECT_EQ(made["records"][0]["fields"]["Company"], "Via Serve");
  // In Postgres at once, and queued.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox_keys WHERE airpg_key = '" + reserved + "'"),
            "1");
  EXPECT_NE(Scalar("SELECT count(*) FROM airpg.outbox WHERE status = 'pending'"), "0");
  // The reserved id names the record before the push: reads show it…
  json got = Call("GET", std::string(kClients) + "/" + reserved, nullptr, &status);
  ASSERT_EQ(status, 200) << got.dump();
  EXPECT_EQ(got["id"], reserved);
  EXPECT_EQ(got["fields"]["Notes"], "first");
  json listed =
      Call("GET", std::string(kClients) + "?filterByFormula=" + "%7BCompany%7D%3D%22Via%20Serve%22",
           nullptr, &status);
  ASSERT_EQ(listed["records"].size(), 1u) << listed.dump();
  EXPECT_EQ(listed["records"][0]["id"], reserved);
  // …and writes find it.
  json patched = Call("PATCH", std::string(kClients) + "/" + reserved,
                      {{"fields", {{"Notes", "second"}}}}, &status);
  ASSERT_EQ(status, 200) << patched.dump();
  DispatchAll();
  json emulated = EmulatedByKey("Clients", reserved);
  ASSERT_FALSE(emulated.is_null());
  EXPECT_EQ(emulated["fields"]["Company"], "Via Serve");
  EXPECT_EQ(emulated["fields"]["Notes"], "second");
  std::string airtable_id = emulated["id"];
  EXPECT_NE(airtable_id, reserved);
  // After it, the record shows Airtable's id and the reserved one still finds it.
  EXPECT_EQ(Call("GET", std::string(kClients) + "/" + reserved)["id"], airtable_id);
  json again = Call("PATCH", kClients,
                    {{"records", {{{"id", reserved}, {"fields", {{"Notes", "third"}}}}}}}, &status);
  ASSERT_EQ(status, 200) << again.dump();
  EXPECT_EQ(again["records"][0]["id"], airtable_id);  // the stored record answers
  EXPECT_EQ(again["records"][0]["fields"]["Notes"], "third");
  DispatchAll();
  EXPECT_EQ(Emulated("Clients", airtable_id)["fields"]["Notes"], "third");
  // PUT clears what it does not name.
  json replaced = Call("PUT", std::string(kClients) + "/" + airtable_id,
                       {{"fields", {{"Company", "Put"}}}}, &status);
  ASSERT_EQ(status, 200) << replaced.dump();
  EXPECT_FALSE(replaced["fields"].contains("Notes"));
  DispatchAll();
  EXPECT_FALSE(Emulated("Clients", airtable_id)["fields"].contains("Notes"));
  json deleted =
      Call("DELETE", std::string(kClients) + "?records[]=" + airtable_id, nullptr, &status);
  ASSERT_EQ(status, 200) << deleted.dump();
  EXPECT_EQ(deleted["records"][0]["deleted"], true);
  DispatchAll();
  EXPECT_TRUE(EmulatedByKey("Clients", reserved).is_null());
}

TEST_F(ServeWritesTest, UpsertMatchesOnTheMergeFields) {
  std::string existing = Emulated("Clients", "recCliSolaris001")["fields"]["Company"];
  int status = 0;
  json answer = Call("PATCH", kClients,
                     {{"performUpsert", {{"fieldsToMergeOn", {"Company"}}}},
                      {"records",
                       {{{"fields", {{"Company", existing}, {"Notes", "upserted"}}}},
                        {{"fields", {{"Company", "Brand New Co"}}}}}}},
                     &status);
  ASSERT_EQ(status, 200) << answer.dump();
  EXPECT_EQ(answer["updatedRecords"], json::array({"recCliSolaris001"}));
  ASSERT_EQ(answer["createdRecords"].size(), 1u);
  std::string reserved = answer["createdRecords"][0];
  DispatchAll();
  EXPECT_EQ(Emulated("Clients", "recCliSolaris001")["fields"]["Notes"], "upserted");
  EXPECT_FALSE(EmulatedByKey("Clients", reserved).is_null());
}

TEST_F(ServeWritesTest, LinksAreWrittenByRecordId) {
  int status = 0;
  json made =
      Call("POST", kRegs,
           {{"fields", {{"Reference", "REG-SERVE"}, {"Client", {"recCliSolaris001"}}}}}, &status);
  ASSERT_EQ(status, 200) << made.dump();
  std::string reserved = made["id"];
  DispatchAll();
  json emulated = EmulatedByKey("Registrations", reserved);
  ASSERT_FALSE(emulated.is_null());
  EXPECT_EQ(emulated["fields"]["Client"], json::array({"recCliSolaris001"}));
  // A link to a record that does not exist is Airtable's 422.
  Call("POST", kRegs, {{"fields", {{"Client", {"recNoSuchRecord01"}}}}}, &status);
  EXPECT_EQ(status, 422);
}

TEST_F(ServeWritesTest, CollaboratorsAreWrittenByIdOrEmail) {
  int status = 0;
  // multipleCollaborators: ids and emails, in the cell's order, replacing it.
  json team = Call(
      "PATCH", std::string(kRegs) + "/recRegNwTx000001",
      {{"fields",
        {{"Team",
          {{{"email", "priya.nair@delta-analytics.example"}}, {{"id", "usrKenjiSato00001"}}}}}}},
      &status);
  ASSERT_EQ(status, 200) << team.dump();
  ASSERT_EQ(team["fields"]["Team"].size(), 2u) << team.dump();
  EXPECT_EQ(team["fields"]["Team"][0]["id"], "usrPriyaNair00001");
  // (Reads render a collaborator by its id; docs/serve.md.)
  EXPECT_EQ(team["fields"]["Team"][1]["id"], "usrKenjiSato00001");
  // A single collaborator by email.
  json owner =
      Call("PATCH", std::string(kClients) + "/recCliSolaris001",
           {{"fields", {{"Account Owner", {{"email", "PRIYA.NAIR@delta-analytics.example"}}}}}},
           &status);
  ASSERT_EQ(status, 200) << owner.dump();
  EXPECT_EQ(owner["fields"]["Account Owner"]["id"], "usrPriyaNair00001");
  // Someone who is not a collaborator: Airtable's 422, and nothing changes.
  json refused = Call("PATCH", std::string(kRegs) + "/recRegNwTx000001",
                      {{"fields", {{"Team", {{{"email", "stranger@example.com"}}}}}}}, &status);
  EXPECT_EQ(status, 422);
  EXPECT_EQ(refused["error"]["type"], "INVALID_VALUE_FOR_COLUMN");
  // The outbox carries both cells to Airtable.
  DispatchAll();
  json emulated_team = Emulated("Registrations", "recRegNwTx000001")["fields"]["Team"];
  ASSERT_EQ(emulated_team.size(), 2u) << emulated_team.dump();
  EXPECT_EQ(emulated_team[0]["id"], "usrPriyaNair00001");
  EXPECT_EQ(emulated_team[1]["id"], "usrKenjiSato00001");
  EXPECT_EQ(Emulated("Clients", "recCliSolaris001")["fields"]["Account Owner"]["id"],
            "usrPriyaNair00001");
  // Clearing the cell clears it on both sides.
  Call("PATCH", std::string(kRegs) + "/recRegNwTx000001", {{"fields", {{"Team", json::array()}}}},
       &status);
  ASSERT_EQ(status, 200);
  DispatchAll();
  EXPECT_FALSE(Emulated("Registrations", "recRegNwTx000001")["fields"].contains("Team"));
}

TEST_F(ServeWritesTest, AttachmentsSentBackUnchangedAreAcceptedOthersRefused) {
  ASSERT_EQ(Scalar("SELECT count(*) FROM airpg.attachments WHERE record_id = 'recDocNwTxLic0001'"),
            "1");
  std::string doc = std::string(kDocs) + "/recDocNwTxLic0001";
  int status = 0;
  // A client that read the record sends its attachment back with a change.
  json same =
      Call("PATCH", doc,
           {{"fields",
             {{"Title", "Texas license (renewed)"},
              {"Files", {{{"id", "attNwTxLicense01"}, {"filename", "nw-tx-license.pdf"}}}}}}},
           &status);
  ASSERT_EQ(status, 200) << same.dump();
  EXPECT_EQ(same["fields"]["Title"], "Texas license (renewed)");
  // A new file by URL, a removal, or a replace that drops the cell: refused
  // with Airtable's 422 (the outbox cannot carry attachments yet), nothing written.
  for (const json& files :
       {json::array({{{"url", "https://files.example/new.pdf"}}}), json::array()}) {
    json refused = Call("PATCH", doc, {{"fields", {{"Files", files}}}}, &status);
    EXPECT_EQ(status, 422) << files.dump();
    EXPECT_EQ(refused["error"]["type"], "INVALID_VALUE_FOR_COLUMN");
  }
  Call("PUT", doc, {{"fields", {{"Title", "only a title"}}}}, &status);
  EXPECT_EQ(status, 422);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.attachments WHERE record_id = 'recDocNwTxLic0001'"),
            "1");
  DispatchAll();
  json emulated = Emulated("Documents", "recDocNwTxLic0001")["fields"];
  EXPECT_EQ(emulated["Title"], "Texas license (renewed)");
  ASSERT_EQ(emulated["Files"].size(), 1u);
  EXPECT_EQ(emulated["Files"][0]["id"], "attNwTxLicense01");
}

TEST_F(ServeWritesTest, AirtablesLimitsAndErrors) {
  int status = 0;
  json eleven = json::array();
  for (int i = 0; i < 11; ++i) eleven.push_back({{"fields", {{"Company", "c"}}}});
  json error = Call("POST", kClients, {{"records", eleven}}, &status);
  EXPECT_EQ(status, 422);
  EXPECT_EQ(error["error"]["type"], "INVALID_RECORDS");
  error = Call("POST", kClients, {{"fields", {{"No Such Field", 1}}}}, &status);
  EXPECT_EQ(status, 422);
  EXPECT_EQ(error["error"]["type"], "UNKNOWN_FIELD_NAME");
  error = Call("POST", kClients, {{"fields", {{"Tier", "Not A Tier"}}}}, &status);
  EXPECT_EQ(status, 422);
  EXPECT_EQ(error["error"]["type"], "INVALID_MULTIPLE_CHOICE_OPTIONS");
  // typecast adds the choice.
  json typed =
      Call("POST", kClients, {{"typecast", true}, {"fields", {{"Tier", "Not A Tier"}}}}, &status);
  EXPECT_EQ(status, 200) << typed.dump();
  error = Call("PATCH", std::string(kClients) + "/recNoSuchRecord01",
               {{"fields", {{"Notes", "x"}}}}, &status);
  EXPECT_EQ(status, 403);
  EXPECT_EQ(error["error"]["type"], "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND");
  // Nothing of a refused request was written.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox_keys"), "1");
}

TEST_F(ServeWritesTest, ATableWhoseAuthorityIsAirtableRefusesNamingTheSetting) {
  int status = 0;
  json error = Call("POST", kStaff, {{"fields", {{"Name", "Nobody"}}}}, &status);
  EXPECT_EQ(status, 403);
  EXPECT_EQ(error["error"]["type"], "INVALID_PERMISSIONS");
  EXPECT_NE(error["error"]["message"].get<std::string>().find("sync.tables.Staff.authority"),
            std::string::npos)
      << error.dump();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox"), "0");
}

}  // namespace
}  // namespace airpg
