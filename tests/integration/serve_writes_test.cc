// Issue 17: record writes of `airpg serve` for tables routed to postgres.
// Creates, updates, replaces, upserts and deletes go to Postgres in one
// transaction each, the two-way sync's outbox carries them to Airtable (the
// emulator), a create answers at once with a reserved rec… id that keeps
// naming the record after the push, Airtable's limits and error bodies hold,
// and a table whose authority is airtable refuses with the setting named.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "airtable/wire/ids.h"
#include "api/api_service.h"
#include "api/routes.h"
#include "blobs/attachment_fetcher.h"
#include "blobs/attachment_urls.h"
#include "blobs/blob_store.h"
#include "daemon/sync_service.h"
#include "emulated_base_test.h"
#include "http/server.h"
#include "sync/authority.h"
#include "sync/live_schema.h"
#include "sync/outbox_attachments.h"
#include "sync/outbox_dispatcher.h"
#include "sync/payload_cycle.h"
#include "sync/record_applier.h"
#include "wait_for.h"

namespace airpg {
namespace {

using testing::json;
using testing::ReadFile;
constexpr const char* kDelta = "appDeltaAnalytic1";
constexpr const char* kClients = "tblClients0000001";
constexpr const char* kRegs = "tblRegistrations1";
constexpr const char* kStaff = "tblStaff000000001";
constexpr const char* kDocs = "tblDocuments00001";

// Files on a loopback HTTP server, as a client's URLs (the emulator fetches
// loopback URLs, as Airtable fetches public ones).
class FileServer {
 public:
  FileServer() {
    http::Server::Options options;
    Status started = server_.Start(options, [this](const http::Request& request) {
      ++hits_;
      http::Response r;
      r.status = request.target == "/scan.pdf" ? 200 : 404;
      r.content_type = "application/pdf";
      r.body = Bytes(request.target);
      return r;
    });
    EXPECT_TRUE(started.ok()) << started.ToString();
  }
  ~FileServer() { server_.Stop(); }
  int hits() const { return hits_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + path;
  }
  static std::string Bytes(const std::string& path) {
    return path == "/scan.pdf" ? std::string("%PDF-1.4 a scanned page\n") : "";
  }

 private:
  std::atomic<int> hits_{0};  // declared before server_: its handler counts here
  http::Server server_;
};

class ServeWritesTest : public testing::TwoWayBaseTest {
 protected:
  ServeWritesTest() : TwoWayBaseTest(kDelta) {}

  void SetUp() override {
    TwoWayBaseTest::SetUp();
    StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
    ASSERT_TRUE(Run(kDelta).ok());
    sync::AuthorityConfig config;  // Staff stays Airtable's
    config.tables["Clients"].authority = sync::Authority::kBoth;
    config.tables["Registrations"].authority = sync::Authority::kPostgres;
    config.tables["Documents"].authority = sync::Authority::kPostgres;
    ASSERT_NO_FATAL_FAILURE(Configure(config));
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
    ASSERT_NO_FATAL_FAILURE(OpenDispatchConnection());
    auto store = blobs::BlobStore::Open({});
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
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

  // Dispatch rounds until nothing is pending, attachments included (a link
  // waits a round), at most 10.
  void DispatchAll() {
    for (int i = 0; i < 10; ++i) {
      if (Scalar("SELECT (SELECT count(*) FROM airpg.outbox WHERE status = 'pending') + "
                 "(SELECT count(*) FROM airpg.attachment_outbox WHERE status = 'pending' AND "
                 "available_at < 'infinity')") == "0") {
        return;
      }
      auto report = DispatchOnce(*client_);
      ASSERT_TRUE(report.ok()) << report.status().ToString();
      DispatchAttachments();
    }
    ADD_FAILURE() << "the outbox did not drain";
  }

  // One round of the attachment step (sync/outbox_attachments.h).
  sync::AttachmentDispatchReport DispatchAttachments() {
    sync::AttachmentDispatchOptions options;
    options.owner = "test";
    options.retry_initial = std::chrono::milliseconds(0);
    auto report = sync::DispatchAttachments(*client_, *dispatch_conn_, *store_, kDelta, options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : sync::AttachmentDispatchReport{};
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

  // The sync service of the base as serve runs it (this test's authority),
  // on a thread until StopService; back once it has run a step.
  void StartService() {
    daemon::SyncServiceOptions options;
    options.base_id = kDelta;
    options.conninfo = url();
    options.loopback_pings = true;
    options.syncer.sweep_interval = std::chrono::hours(1);
    options.syncer.payload_interval = std::chrono::milliseconds(200);
    options.authority.tables["Clients"].authority = sync::Authority::kBoth;
    options.authority.tables["Registrations"].authority = sync::Authority::kPostgres;
    options.authority.tables["Documents"].authority = sync::Authority::kPostgres;
    options.outbox_idle = std::chrono::milliseconds(20);
    options.on_step = [this](const sync::StepReport&) { ++service_steps_; };
    service_ = std::thread([this, options] {
      service_result_ = daemon::RunSyncService(*client_, options, service_stop_.get_token());
    });
    ASSERT_TRUE(testing::WaitFor([&] { return service_steps_ > 0; }, std::chrono::seconds(30)));
  }

  Status StopService() {
    service_stop_.request_stop();
    if (service_.joinable()) service_.join();
    return service_result_;
  }

  void TearDown() override {
    (void)StopService();  // a test that ran the service checked its end
    TwoWayBaseTest::TearDown();
  }

  std::unique_ptr<api::ApiService> api_;
  std::unique_ptr<blobs::BlobStore> store_;
  std::atomic<int> service_steps_{0};
  std::stop_source service_stop_;
  Status service_result_;
  std::thread service_;
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
  // Read back as Airtable shows collaborators: id, email and name.
  EXPECT_EQ(team["fields"]["Team"][0], json({{"id", "usrPriyaNair00001"},
                                             {"email", "priya.nair@delta-analytics.example"},
                                             {"name", "Priya Nair"}}));
  EXPECT_EQ(team["fields"]["Team"][1]["id"], "usrKenjiSato00001");
  EXPECT_EQ(team["fields"]["Team"][1]["name"], "Kenji Sato");
  // A single collaborator by email.
  json owner =
      Call("PATCH", std::string(kClients) + "/recCliSolaris001",
           {{"fields", {{"Account Owner", {{"email", "PRIYA.NAIR@delta-analytics.example"}}}}}},
           &status);
  ASSERT_EQ(status, 200) << owner.dump();
  EXPECT_EQ(owner["fields"]["Account Owner"]["id"], "usrPriyaNair00001");
  EXPECT_EQ(owner["fields"]["Account Owner"]["email"], "priya.nair@delta-analytics.example");
  // In Airtable's key order: id, email, name.
  http::Request get;
  get.method = "GET";
  get.target = "/v0/" + std::string(kDelta) + "/" + kClients + "/recCliSolaris001";
  get.headers["authorization"] = "Bearer patTest";
  EXPECT_NE(
      api_->Handle(get).body.find(R"("Account Owner":{"id":"usrPriyaNair00001","email":)"
                                  R"("priya.nair@delta-analytics.example","name":"Priya Nair"})"),
      std::string::npos);
  // Someone who is not a collaborator: Airtable's 422, and nothing changes.
  json refused = Call("PATCH", std::string(kRegs) + "/recRegNwTx000001",
                      {{"fields", {{"Team", {{{"email", "stranger@example.com"}}}}}}}, &status);
  EXPECT_EQ(status, 422);
  EXPECT_EQ(refused["error"]["type"], "INVALID_VALUE_FOR_COLUMN");
  EXPECT_EQ(refused["error"]["message"], "Field \"Team\" cannot accept the provided value");
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

// Attachment cells as Airtable takes them: {"id"} keeps (the array's order
// is the new order, one left out is removed), {"url"} adds a file answered at
// once with a new att… id; the bytes reach the blob store outside the
// request, and the outbox carries the cell to Airtable (the emulator, which
// fetches the URL as Airtable does).
TEST_F(ServeWritesTest, AttachmentsAreAddedByUrlReorderedAndRemoved) {
  FileServer files;
  std::string scan_url = files.Url("/scan.pdf");
  std::string doc = std::string(kDocs) + "/recDocBpNyApp0001";
  int status = 0;
  // The cell sent back as read (extra keys and all) changes nothing.
  json same = Call("PATCH", doc,
                   {{"fields",
                     {{"Title", "NY application packet"},
                      {"Files",
                       {{{"id", "attBpNyForm00001"}, {"filename", "bp-ny-form.pdf"}},
                        {{"id", "attBpNyLogo00001"}, {"size", 5120}}}}}}},
                   &status);
  ASSERT_EQ(status, 200) << same.dump();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.attachment_outbox"), "0");
  // Reorder the two files and add one between them.
  json written = Call("PATCH", doc,
                      {{"fields",
                        {{"Files",
                          {{{"id", "attBpNyLogo00001"}},
                           {{"url", scan_url}, {"filename", "scan.pdf"}},
                           {{"id", "attBpNyForm00001"}}}}}}},
                      &status);
  ASSERT_EQ(status, 200) << written.dump();
  json cell = written["fields"]["Files"];
  ASSERT_EQ(cell.size(), 3u) << written.dump();
  EXPECT_EQ(cell[0]["id"], "attBpNyLogo00001");
  EXPECT_EQ(cell[0]["filename"], "bp-logo.png");
  std::string added = cell[1]["id"];
  EXPECT_TRUE(airtable::wire::LooksLikeId(added, "att")) << added;
  EXPECT_EQ(cell[1]["url"], scan_url);
  EXPECT_EQ(cell[1]["filename"], "scan.pdf");
  EXPECT_EQ(cell[2]["id"], "attBpNyForm00001");
  // Lists show the same cell.
  json listed = Call("GET", std::string(kDocs) + "?filterByFormula=" +
                                "%7BTitle%7D%3D%22NY%20application%20packet%22");
  ASSERT_EQ(listed["records"].size(), 1u) << listed.dump();
  EXPECT_EQ(listed["records"][0]["fields"]["Files"], cell);

  // The bytes, outside the request: into the blob store, size and type filled in.
  auto fetched = blobs::FetchAttachmentUrls(*dispatch_conn_, *store_, kDelta);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(fetched->fetched, 1);
  std::string sha =
      Scalar("SELECT sha256 FROM airpg.attachments WHERE reserved_id = '" + added + "'");
  auto bytes = store_->Read(conn(), sha);
  ASSERT_TRUE(bytes.ok()) << sha;
  EXPECT_EQ(*bytes, FileServer::Bytes("/scan.pdf"));
  json read = Call("GET", doc)["fields"]["Files"];
  EXPECT_EQ(read[1]["size"], FileServer::Bytes("/scan.pdf").size());
  EXPECT_EQ(read[1]["type"], "application/pdf");

  // Airtable gets the cell in this order, the new file fetched from its URL.
  DispatchAll();
  json emulated = Emulated("Documents", "recDocBpNyApp0001")["fields"]["Files"];
  ASSERT_EQ(emulated.size(), 3u) << emulated.dump();
  EXPECT_EQ(emulated[0]["id"], "attBpNyLogo00001");
  EXPECT_EQ(emulated[1]["filename"], "scan.pdf");
  EXPECT_EQ(emulated[1]["size"], FileServer::Bytes("/scan.pdf").size());
  EXPECT_EQ(emulated[2]["id"], "attBpNyForm00001");
  std::string airtable_att = emulated[1]["id"];
  // Airtable's id is recorded, and the reserved one maps to it.
  EXPECT_EQ(
      Scalar("SELECT attachment_id FROM airpg.attachment_keys WHERE reserved_id = '" + added + "'"),
      airtable_att);

  // The id the add was answered with still keeps the file; the logo,
  // left out, is removed; a pure reorder goes across too.
  Call("PATCH", doc, {{"fields", {{"Files", {{{"id", added}}, {{"id", "attBpNyForm00001"}}}}}}},
       &status);
  ASSERT_EQ(status, 200);
  DispatchAll();
  emulated = Emulated("Documents", "recDocBpNyApp0001")["fields"]["Files"];
  ASSERT_EQ(emulated.size(), 2u) << emulated.dump();
  EXPECT_EQ(emulated[0]["id"], airtable_att);
  EXPECT_EQ(emulated[1]["id"], "attBpNyForm00001");
  Call("PATCH", doc,
       {{"fields", {{"Files", {{{"id", "attBpNyForm00001"}}, {{"id", airtable_att}}}}}}}, &status);
  ASSERT_EQ(status, 200);
  DispatchAll();
  emulated = Emulated("Documents", "recDocBpNyApp0001")["fields"]["Files"];
  ASSERT_EQ(emulated.size(), 2u) << emulated.dump();
  EXPECT_EQ(emulated[0]["id"], "attBpNyForm00001");
  EXPECT_EQ(emulated[1]["id"], airtable_att);

  // What Airtable refuses: an id the cell does not have, a URL that is not http(s).
  for (const json& files : {json::array({{{"id", "attNoSuchFile0001"}}}),
                            json::array({{{"url", "ftp://files.example/a.pdf"}}})}) {
    json refused = Call("PATCH", doc, {{"fields", {{"Files", files}}}}, &status);
    EXPECT_EQ(status, 422) << files.dump();
    EXPECT_EQ(refused["error"]["type"], "INVALID_VALUE_FOR_COLUMN");
  }
  // A replace that leaves the cell out empties it, on both sides.
  Call("PUT", doc, {{"fields", {{"Title", "only a title"}}}}, &status);
  ASSERT_EQ(status, 200);
  EXPECT_FALSE(Call("GET", doc)["fields"].contains("Files"));
  DispatchAll();
  EXPECT_FALSE(Emulated("Documents", "recDocBpNyApp0001")["fields"].contains("Files"));
}

// A record created with a file: the cell waits for the record's push, then
// reaches the record Airtable made.
TEST_F(ServeWritesTest, ACreatedRecordsAttachmentsFollowItsPush) {
  FileServer files;
  int status = 0;
  json made = Call(
      "POST", kDocs,
      {{"fields", {{"Title", "Born in serve"}, {"Files", {{{"url", files.Url("/scan.pdf")}}}}}}},
      &status);
  ASSERT_EQ(status, 200) << made.dump();
  std::string reserved = made["id"];
  ASSERT_EQ(made["fields"]["Files"].size(), 1u) << made.dump();
  EXPECT_EQ(made["fields"]["Files"][0]["filename"], "scan.pdf");  // from the URL
  EXPECT_EQ(Call("GET", std::string(kDocs) + "/" + reserved)["fields"]["Files"],
            made["fields"]["Files"]);
  // Nothing to attach to in Airtable before the push.
  EXPECT_EQ(DispatchAttachments().claimed, 0);
  DispatchAll();
  json emulated = EmulatedByKey("Documents", reserved);
  ASSERT_FALSE(emulated.is_null());
  ASSERT_EQ(emulated["fields"]["Files"].size(), 1u) << emulated.dump();
  EXPECT_EQ(emulated["fields"]["Files"][0]["filename"], "scan.pdf");
  EXPECT_EQ(emulated["fields"]["Files"][0]["size"], FileServer::Bytes("/scan.pdf").size());
  // Served under Airtable's id now, the file with it.
  json got = Call("GET", std::string(kDocs) + "/" + reserved);
  EXPECT_EQ(got["id"], emulated["id"]);
  EXPECT_EQ(got["fields"]["Files"].size(), 1u) << got.dump();
  // An upsert takes attachment cells too: here it empties the cell.
  json upserted =
      Call("PATCH", kDocs,
           {{"performUpsert", {{"fieldsToMergeOn", {"Title"}}}},
            {"records", {{{"fields", {{"Title", "Born in serve"}, {"Files", json::array()}}}}}}},
           &status);
  ASSERT_EQ(status, 200) << upserted.dump();
  EXPECT_EQ(upserted["updatedRecords"], json::array({emulated["id"]}));
  DispatchAll();
  EXPECT_FALSE(EmulatedByKey("Documents", reserved)["fields"].contains("Files"));
}

// The sync's echo of a file added through serve: known by the id the outbox
// recorded, so it is not downloaded again and no second row appears; the id
// the add was answered with keeps naming the file after the echo replaced
// the row; and verify finds Postgres and Airtable equal.
TEST_F(ServeWritesTest, TheEchoOfAFileAddedByUrlChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(RegisterHook());
  FileServer files;
  std::string doc = std::string(kDocs) + "/recDocNwTxLic0001";
  int status = 0;
  json written = Call(
      "PATCH", doc,
      {{"fields", {{"Files", {{{"id", "attNwTxLicense01"}}, {{"url", files.Url("/scan.pdf")}}}}}}},
      &status);
  ASSERT_EQ(status, 200) << written.dump();
  std::string added = written["fields"]["Files"][1]["id"];
  ASSERT_TRUE(blobs::FetchAttachmentUrls(*dispatch_conn_, *store_, kDelta).ok());
  DispatchAll();
  std::string airtable_att = Emulated("Documents", "recDocNwTxLic0001")["fields"]["Files"][1]["id"];

  int64_t asked = 0;
  blobs::AttachmentFetcher fetcher(*store_);
  sync::PayloadCycleResult cycle = ApplyPayloads([&](const std::vector<Attachment>& wanted) {
    asked += static_cast<int64_t>(wanted.size());
    return fetcher.FetchAll(url(), wanted, 1);
  });
  EXPECT_GT(cycle.payloads, 0);
  EXPECT_EQ(asked, 0);
  EXPECT_EQ(Scalar("SELECT string_agg(attachment_id || ':' || filename, ',' ORDER BY position) "
                   "FROM airpg.attachments WHERE record_id = 'recDocNwTxLic0001'"),
            "attNwTxLicense01:nw-tx-license.pdf," + airtable_att + ":scan.pdf");
  EXPECT_EQ(
      Scalar("SELECT size FROM airpg.attachments WHERE attachment_id = '" + airtable_att + "'"),
      std::to_string(FileServer::Bytes("/scan.pdf").size()));
  ExpectClean(Verify(kDelta));

  // Kept by the id serve answered with, the other file removed.
  Call("PATCH", doc, {{"fields", {{"Files", {{{"id", added}}}}}}}, &status);
  ASSERT_EQ(status, 200);
  DispatchAll();
  json emulated = Emulated("Documents", "recDocNwTxLic0001")["fields"]["Files"];
  ASSERT_EQ(emulated.size(), 1u) << emulated.dump();
  EXPECT_EQ(emulated[0]["id"], airtable_att);
}

// End to end through the sync service serve runs: its outbox loop downloads
// the added URL (the file host sees airpg and the emulator, each once) and
// sends the cell; the echo leaves one row per file, all with Airtable's ids.
TEST_F(ServeWritesTest, TheSyncServiceFetchesAndSendsAFileAddedByUrl) {
  FileServer files;
  StartService();
  int status = 0;
  json written = Call(
      "PATCH", std::string(kDocs) + "/recDocNwTxLic0001",
      {{"fields", {{"Files", {{{"url", files.Url("/scan.pdf")}}, {{"id", "attNwTxLicense01"}}}}}}},
      &status);
  EXPECT_EQ(status, 200) << written.dump();
  auto cell = [&] { return Emulated("Documents", "recDocNwTxLic0001")["fields"]["Files"]; };
  EXPECT_TRUE(testing::WaitFor([&] { return cell().size() == 2; }, std::chrono::seconds(30)))
      << cell().dump();
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return Scalar(
                   "SELECT count(*) FILTER (WHERE attachment_id IS NOT NULL AND sha256 IS NOT "
                   "NULL) || '/' || count(*) FROM airpg.attachments WHERE record_id = "
                   "'recDocNwTxLic0001'") == "2/2";
      },
      std::chrono::seconds(30)));
  Status stopped = StopService();
  EXPECT_TRUE(stopped.ok()) << stopped.ToString();
  json emulated = cell();
  ASSERT_EQ(emulated.size(), 2u) << emulated.dump();
  EXPECT_EQ(emulated[0]["filename"], "scan.pdf");
  EXPECT_EQ(emulated[1]["id"], "attNwTxLicense01");
  EXPECT_EQ(files.hits(), 2);  // airpg's download and Airtable's
  EXPECT_EQ(Scalar("SELECT filename FROM airpg.attachments WHERE record_id = "
                   "'recDocNwTxLic0001' ORDER BY position LIMIT 1"),
            "scan.pdf");
}

// A file whose host answers only when told to, on 127.0.0.2: airpg downloads
// it, the emulator (which fetches 127.0.0.1 only) does not, so only airpg's
// download hangs.
class StalledFileServer {
 public:
  static constexpr char kBytes[] = "%PDF-1.4 a file that took its time";

  StalledFileServer() {
    http::Server::Options options;
    options.host = "127.0.0.2";
    Status started = server_.Start(options, [this](const http::Request&) {
      std::unique_lock lock(mu_);
      ++requests_;
      asked_.notify_all();
      // Bounded, so a failing test still ends (curl gives up after 60 s).
      asked_.wait_for(lock, std::chrono::seconds(50), [this] { return released_; });
      http::Response r;
      r.content_type = "application/pdf";
      r.body = kBytes;
      return r;
    });
    EXPECT_TRUE(started.ok()) << started.ToString();
  }
  ~StalledFileServer() {
    Release();
    server_.Stop();
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    asked_.notify_all();
  }
  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::string Url() const {
    return "http://127.0.0.2:" + std::to_string(server_.port()) + "/slow.pdf";
  }

 private:
  std::mutex mu_;  // declared before server_: its handler uses them
  std::condition_variable asked_;
  int requests_ = 0;
  bool released_ = false;
  http::Server server_;
};

TEST_F(ServeWritesTest, ADownloadThatHangsDoesNotHoldUpTheOutbox) {
  StalledFileServer files;
  StartService();
  int status = 0;
  json written = Call("PATCH", std::string(kDocs) + "/recDocNwTxLic0001",
                      {{"fields", {{"Files", {{{"url", files.Url()}}}}}}}, &status);
  EXPECT_EQ(status, 200) << written.dump();
  // airpg's download of the file has begun, and hangs.
  EXPECT_TRUE(testing::WaitFor([&] { return files.requests() > 0; }, std::chrono::seconds(30)));
  // Meanwhile another record's change, and the file's cell (as its URL),
  // reach Airtable.
  json renamed = Call("PATCH", std::string(kDocs) + "/recDocBpNyApp0001",
                      {{"fields", {{"Title", "renamed while a download hangs"}}}}, &status);
  EXPECT_EQ(status, 200) << renamed.dump();
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return Emulated("Documents", "recDocBpNyApp0001")["fields"].value("Title", "") ==
               "renamed while a download hangs";
      },
      std::chrono::seconds(30)));
  EXPECT_TRUE(testing::WaitFor(
      [&] { return Emulated("Documents", "recDocNwTxLic0001")["fields"]["Files"].size() == 1; },
      std::chrono::seconds(30)));
  EXPECT_EQ(files.requests(), 1);  // still the one download, not answered yet
  // Answered at last: the bytes reach the store.
  files.Release();
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return Scalar("SELECT count(*) FROM airpg.blobs WHERE sha256 = encode(sha256(" +
                      std::string("convert_to('") + StalledFileServer::kBytes +
                      "', 'UTF8')), 'hex')") == "1";
      },
      std::chrono::seconds(30)));
  Status stopped = StopService();
  EXPECT_TRUE(stopped.ok()) << stopped.ToString();
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
