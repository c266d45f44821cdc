// Attachments added and removed in Postgres reach Airtable (issue 16), against
// the emulator and a real Postgres: airpg.add_attachment's bytes are uploaded
// and come back byte for byte; a file over the upload limit goes as a signed
// URL airpg serves, which Airtable (the emulator) fetches; a deleted row
// removes the attachment; the webhook echo neither downloads the file again
// nor adds a second row; a lost upload answer is not sent twice; and where
// the authority is airtable, adding and removing are refused.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "airtable/transport.h"
#include "base/clock.h"
#include "base/hex.h"
#include "blobs/attachment_fetcher.h"
#include "blobs/blob_links.h"
#include "blobs/blob_store.h"
#include "daemon/sync_service.h"
#include "emulated_base_test.h"
#include "http/server.h"
#include "sync/attachment_queue.h"
#include "sync/authority.h"
#include "sync/conflicts.h"
#include "sync/outbox_attachments.h"
#include "sync/outbox_dispatcher.h"
#include "sync/sync_status.h"
#include "wait_for.h"

namespace airpg {
namespace {

using testing::json;
using testing::ReadFile;
constexpr const char* kDelta = "appDeltaAnalytic1";
constexpr const char* kDocs = "tblDocuments00001";
constexpr const char* kFiles = "fldDocFiles000001";
constexpr const char* kTexas = "recDocNwTxLic0001";  // one attachment
constexpr const char* kNy = "recDocBpNyApp0001";     // two attachments
const std::string kSchema = "delta_analytics_registration_tracking";

// Loses the answer of the next N uploads after the emulator applied them.
class LosingTransport : public airtable::Transport {
 public:
  Result<http::Response> Send(const airtable::HttpCall& call) override {
    if (call.url.find("/uploadAttachment") != std::string::npos && refuse_uploads > 0) {
      --refuse_uploads;  // never sent
      return UnavailableError("connection refused");
    }
    Result<http::Response> response = inner_.Send(call);
    if (call.url.find("/uploadAttachment") != std::string::npos && lose_uploads > 0) {
      --lose_uploads;
      return UnavailableError("connection reset after the request was sent");
    }
    return response;
  }
  std::atomic<int> lose_uploads{0};
  std::atomic<int> refuse_uploads{0};  // fail the next N uploads before sending them

 private:
  airtable::CurlTransport inner_;
};

std::string Binary(size_t size) {
  std::string out;
  for (size_t i = 0; i < size; ++i) out += static_cast<char>((i * 31 + 7) % 256);
  return out;
}

std::string Hex(const std::string& bytes) {
  return HexLower(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

class OutboxAttachmentsTest : public testing::TwoWayBaseTest {
 protected:
  OutboxAttachmentsTest() : TwoWayBaseTest(kDelta) {}

  void SetUp() override {
    TwoWayBaseTest::SetUp();
    StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
    ASSERT_TRUE(Run(kDelta).ok());
    auto transport = std::make_unique<LosingTransport>();
    transport_ = transport.get();
    writer_ = ClientThrough(std::move(transport));
    sync::AuthorityConfig config;
    config.tables["Documents"].authority = sync::Authority::kBoth;
    ASSERT_NO_FATAL_FAILURE(Configure(config));
    auto store = blobs::BlobStore::Open({});
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    fetcher_ = std::make_unique<blobs::AttachmentFetcher>(*store_);
    ASSERT_NO_FATAL_FAILURE(RegisterHook());
  }

  sync::AttachmentDispatchReport Dispatch(sync::AttachmentDispatchOptions options = {}) {
    options.owner = "test";
    options.retry_initial = std::chrono::milliseconds(0);
    auto report = sync::DispatchAttachments(*writer_, conn(), *store_, kDelta, options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : sync::AttachmentDispatchReport{};
  }

  Status Add(const std::string& record_id, const std::string& filename, const std::string& bytes) {
    return conn().Run(
        "SELECT airpg.add_attachment($1, 'Documents', $2, 'Files', $3, 'application/octet-stream', "
        "decode($4, 'hex'))",
        {kSchema, record_id, filename, Hex(bytes)});
  }

  // The webhook payloads since the hook was made, applied as the sync applies
  // them, with attachments fetched through fetcher_ (its stats tell downloads).
  void ApplyPayloads() {
    applied_payloads_ +=
        TwoWayBaseTest::ApplyPayloads([this](const std::vector<Attachment>& wanted) {
          asked_to_fetch_ += static_cast<int64_t>(wanted.size());
          return fetcher_->FetchAll(url(), wanted, 1);
        }).payloads;
  }

  // Airtable's attachment cell of a document.
  json Cell(const std::string& record_id) {
    return Control("GET", std::string("ui/") + kDelta + "/" + kDocs + "/" + record_id +
                              "?returnFieldsByFieldId=true")["fields"][kFiles];
  }

  std::string Download(const json& attachment) {
    http::Client http;
    auto got = http.Send("GET", attachment["url"].get<std::string>());
    EXPECT_TRUE(got.ok());
    return got.ok() ? got->body : "";
  }

  std::string Rows(const std::string& record_id) {
    return Scalar(
        "SELECT string_agg(coalesce(attachment_id, '-') || ':' || filename, ',' ORDER BY position) "
        "FROM airpg.attachments WHERE record_id = '" +
        record_id + "' AND field_id = '" + kFiles + "'");
  }

  LosingTransport* transport_ = nullptr;
  std::unique_ptr<airtable::Client> writer_;
  std::unique_ptr<blobs::BlobStore> store_;
  std::unique_ptr<blobs::AttachmentFetcher> fetcher_;
  int64_t asked_to_fetch_ = 0;    // attachments the inbound apply wanted stored
  int64_t applied_payloads_ = 0;  // webhook payloads applied
};

TEST_F(OutboxAttachmentsTest, AddedInPostgresIsUploadedAndItsEchoChangesNothing) {
  const std::string bytes = Binary(3000);
  ASSERT_TRUE(Add(kTexas, "scan.bin", bytes).ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.attachment_outbox"), "1");
  // Captured for the attachment step, not the row outbox.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox"), "0");
  sync::AttachmentDispatchReport report = Dispatch();
  EXPECT_EQ(report.uploaded, 1);
  EXPECT_EQ(report.requests, 2);  // Airtable's cell read for the rule, then the upload
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.attachment_outbox"), "0");

  json cell = Cell(kTexas);
  ASSERT_EQ(cell.size(), 2u) << cell;
  EXPECT_EQ(cell[0]["id"], "attNwTxLicense01");
  EXPECT_EQ(cell[1]["filename"], "scan.bin");
  EXPECT_EQ(cell[1]["size"], 3000);
  EXPECT_EQ(Download(cell[1]), bytes);
  std::string att = cell[1]["id"];
  EXPECT_EQ(Rows(kTexas), "attNwTxLicense01:nw-tx-license.pdf," + att + ":scan.bin");

  // The echo: the attachment is known, so nothing is downloaded and the
  // cell keeps one row per attachment; nothing is queued back.
  ApplyPayloads();
  EXPECT_EQ(Rows(kTexas), "attNwTxLicense01:nw-tx-license.pdf," + att + ":scan.bin");
  EXPECT_EQ(applied_payloads_, 1);  // the upload's echo was read and applied
  EXPECT_EQ(fetcher_->stats().downloaded, 0);
  EXPECT_EQ(asked_to_fetch_, 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.attachment_outbox"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox"), "0");
  EXPECT_EQ(Dispatch().claimed, 0);
  // Postgres and Airtable agree, attachments included.
  ExpectClean(Verify(kDelta));
}

// An Airtable edit of another field of the record merges: the upload goes.
TEST_F(OutboxAttachmentsTest, AnAirtableEditOfAnotherFieldMerges) {
  ASSERT_TRUE(Add(kTexas, "mine.bin", Binary(10)).ok());
  Control("PATCH", std::string("ui/") + kDelta + "/" + kDocs + "/" + kTexas,
          {{"fields", {{"Title", "renamed in Airtable"}}}});
  ApplyPayloads();
  EXPECT_EQ(Dispatch().uploaded, 1);
  json cell = Cell(kTexas);
  ASSERT_EQ(cell.size(), 2u) << cell;
  EXPECT_EQ(Download(cell[1]), Binary(10));
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts"), "0");
}

// Issue 16 (item 1 of session 4): an attachment cell both sides changed —
// Postgres added a file, Airtable removed the cell's file — is decided by the
// field's rule, three-way against the ids both held, like any other field.
class AttachmentConflictTest : public OutboxAttachmentsTest {
 protected:
  // Postgres adds mine.bin to Texas's cell; Airtable empties it; the inbound
  // apply sees Airtable's edit first: the cell, queued, keeps both sides'
  // files for the rule to decide.
  void BothChange(sync::ConflictRule rule) {
    sync::AuthorityConfig config;
    config.tables["Documents"].authority = sync::Authority::kBoth;
    config.tables["Documents"].conflict = rule;
    Configure(config);
    ASSERT_TRUE(Add(kTexas, "mine.bin", Binary(10)).ok());
    Control("PATCH", std::string("ui/") + kDelta + "/" + kDocs + "/" + kTexas,
            {{"fields", {{"Files", json::array()}}}});
    ApplyPayloads();
    ASSERT_EQ(Rows(kTexas), "attNwTxLicense01:nw-tx-license.pdf,-:mine.bin");
  }

  std::string Filenames() {
    std::string out;
    for (const json& a : Cell(kTexas)) out += (out.empty() ? "" : ",") + a.value("filename", "");
    return out;
  }

  std::string Resolution() {
    return Scalar(
        "SELECT status || ':' || coalesce(resolution, '-') FROM airpg.conflicts WHERE field_id = "
        "'" +
        std::string(kFiles) + "' ORDER BY conflict_id DESC LIMIT 1");
  }
};

TEST_F(AttachmentConflictTest, PostgresWinsPutsBackItsWholeCell) {
  BothChange(sync::ConflictRule::kPostgresWins);
  sync::AttachmentDispatchReport report = Dispatch();
  EXPECT_EQ(report.conflicts, 1);
  // The file Airtable removed is sent again from its bytes, then Postgres's new one.
  EXPECT_EQ(Filenames(), "nw-tx-license.pdf,mine.bin");
  EXPECT_EQ(Resolution(), "resolved:postgres");
  ApplyPayloads();
  EXPECT_EQ(Scalar("SELECT count(*) FILTER (WHERE attachment_id IS NOT NULL) || '/' || count(*) "
                   "FROM airpg.attachments WHERE record_id = '" +
                   std::string(kTexas) + "'"),
            "2/2");
  ExpectClean(Verify(kDelta));
}

TEST_F(AttachmentConflictTest, AirtableWinsDropsThePostgresFile) {
  BothChange(sync::ConflictRule::kAirtableWins);
  sync::AttachmentDispatchReport report = Dispatch();
  EXPECT_EQ(report.conflicts, 1);
  EXPECT_EQ(report.uploaded, 0);
  EXPECT_EQ(Filenames(), "");
  EXPECT_EQ(Rows(kTexas), "");
  EXPECT_EQ(Resolution(), "resolved:airtable");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.attachment_outbox"), "0");
}

// Under `latest` Airtable's edit, read at the send, is the later one.
TEST_F(AttachmentConflictTest, LatestTakesTheLaterEdit) {
  BothChange(sync::ConflictRule::kLatest);
  EXPECT_EQ(Dispatch().conflicts, 1);
  EXPECT_EQ(Filenames(), "");
  EXPECT_EQ(Resolution(), "resolved:airtable");
}

// `manual` parks the cell: neither side is overwritten until the operator
// resolves it; the resolution then reaches Airtable.
TEST_F(AttachmentConflictTest, ManualParksTheCellUntilResolved) {
  BothChange(sync::ConflictRule::kManual);
  sync::AttachmentDispatchOptions options;
  options.wait = std::chrono::milliseconds(0);
  sync::AttachmentDispatchReport report = Dispatch(options);
  EXPECT_EQ(report.waiting, 1);
  EXPECT_EQ(Filenames(), "");
  EXPECT_EQ(Rows(kTexas), "attNwTxLicense01:nw-tx-license.pdf,-:mine.bin");
  auto open = sync::ListConflicts(conn(), "open");
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].field_id, kFiles);
  EXPECT_EQ(json::parse((*open)[0].airtable_value), nullptr);
  EXPECT_EQ(json::parse((*open)[0].base_value.value_or("0")), json::array({"attNwTxLicense01"}));
  EXPECT_EQ(json::parse((*open)[0].postgres_value),
            json::parse(R"(["attNwTxLicense01", {"filename": "mine.bin", "size": 10}])"));
  // Still parked on the next round.
  EXPECT_EQ(Dispatch(options).waiting, 1);
  EXPECT_EQ(Filenames(), "");
  ASSERT_TRUE(sync::ResolveConflict(conn(), (*open)[0].id, sync::Take::kPostgres).ok());
  // The row dispatcher leaves an attachment cell's resolution to this step.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts WHERE applied_at IS NULL"), "1");
  Dispatch(options);
  EXPECT_EQ(Filenames(), "nw-tx-license.pdf,mine.bin");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts WHERE applied_at IS NULL"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.attachment_outbox"), "0");
}

// Issue 16 (item 2 of session 4): an attachment added to a row created in
// Postgres, before its create was sent (named by the row's id), waits for
// the rec id and then reaches Airtable.
TEST_F(OutboxAttachmentsTest, AddedToARowNotPushedYetFollowsItsCreate) {
  const std::string docs = kSchema + ".documents";
  const std::string title =
      Scalar("SELECT column_name FROM airpg.fields WHERE field_id = 'fldDocTitle000001'");
  ASSERT_TRUE(
      conn().RunScript("INSERT INTO " + docs + " (" + title + ") VALUES ('born here')").ok());
  const std::string row = Scalar("SELECT id FROM " + docs + " WHERE " + title + " = 'born here'");
  Status added = conn().Run(
      "SELECT airpg.add_attachment($1, 'Documents', $2, 'Files', 'early.bin', "
      "'application/octet-stream', decode($3, 'hex'))",
      {kSchema, row, Hex(Binary(64))});
  ASSERT_TRUE(added.ok()) << added.ToString();
  sync::AttachmentDispatchOptions options;
  options.wait = std::chrono::milliseconds(0);
  EXPECT_EQ(Dispatch(options).waiting, 1);  // no rec id yet
  // The row's create goes through the row outbox.
  sync::DispatchOptions row_options;
  row_options.claim.owner = "test";
  row_options.claim.debounce = std::chrono::milliseconds(0);
  sync::OutboxDispatcher rows(*writer_, conn(), kDelta, row_options);
  auto created = rows.RunOnce();
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const std::string record_id = Scalar("SELECT airtable_id FROM " + docs + " WHERE id = " + row);
  ASSERT_EQ(record_id.rfind("rec", 0), 0u) << record_id;
  EXPECT_EQ(Dispatch(options).uploaded, 1);
  json cell = Cell(record_id);
  ASSERT_EQ(cell.size(), 1u) << cell;
  EXPECT_EQ(cell[0]["filename"], "early.bin");
  EXPECT_EQ(Download(cell[0]), Binary(64));
  EXPECT_EQ(Rows(record_id), cell[0]["id"].get<std::string>() + ":early.bin");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.attachment_outbox"), "0");
}

TEST_F(OutboxAttachmentsTest, LargerThanTheUploadLimitGoesAsASignedUrlAirpgServes) {
  // The sync's endpoints' /blobs/ route, as the daemon wires it.
  RealClock clock;
  http::Server server;
  std::unique_ptr<blobs::BlobLinks> links;
  ASSERT_TRUE(server
                  .Start({},
                         [&](const http::Request& request) {
                           return links->Serve(request, [&](const std::string& sha) {
                             auto c = pg::Connection::Open(url());
                             if (!c.ok()) return Result<std::string>(c.status());
                             return store_->Read(*c, sha);
                           });
                         })
                  .ok());
  links = std::make_unique<blobs::BlobLinks>("http://" + server.address(), clock);
  const std::string bytes = Binary(4096);
  ASSERT_TRUE(Add(kNy, "big.bin", bytes).ok());
  ASSERT_TRUE(Add(kNy, "small.bin", "tiny").ok());
  sync::AttachmentDispatchOptions options;
  options.upload_max_bytes = 1024;
  options.blob_url = [&](const std::string& sha) { return links->Url(sha); };
  sync::AttachmentDispatchReport report = Dispatch(options);
  EXPECT_EQ(report.linked, 1);
  EXPECT_EQ(report.uploaded, 1);
  json cell = Cell(kNy);
  ASSERT_EQ(cell.size(), 4u) << cell;
  EXPECT_EQ(cell[0]["id"], "attBpNyForm00001");
  EXPECT_EQ(cell[2]["filename"], "big.bin");
  EXPECT_EQ(Download(cell[2]), bytes);
  EXPECT_EQ(Download(cell[3]), "tiny");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.attachments WHERE record_id = '" + std::string(kNy) +
                   "' AND attachment_id IS NULL"),
            "0");
  ApplyPayloads();
  EXPECT_EQ(
      Scalar("SELECT count(*) FROM airpg.attachments WHERE record_id = '" + std::string(kNy) + "'"),
      "4");
  EXPECT_EQ(fetcher_->stats().downloaded, 0);
  server.Stop();

  // Without a URL to offer, a large file waits as a dead letter saying why.
  ASSERT_TRUE(Add(kTexas, "huge.bin", bytes).ok());
  options.blob_url = nullptr;
  EXPECT_EQ(Dispatch(options).dead, 1);
  EXPECT_NE(Scalar("SELECT last_error FROM airpg.attachment_outbox WHERE status = 'dead'")
                .find("no URL airpg serves"),
            std::string::npos);
}

// Issue 16 (item 3 of session 4): `airpg status` shows the attachment queue
// per table, a dead cell is listed with the outbox's dead changes under an
// id of their sequence, and a replay sends it again.
TEST_F(OutboxAttachmentsTest, ADeadCellIsInStatusAndTheDlqAndReplays) {
  const std::string bytes = Binary(4096);
  ASSERT_TRUE(Add(kTexas, "huge.bin", bytes).ok());
  auto documents = [&]() {
    auto status = sync::ReadSyncStatus(conn(), kDelta);
    EXPECT_TRUE(status.ok()) << status.status().ToString();
    for (const auto& t : status.ok() ? status->tables : std::vector<sync::TableSyncStatus>{}) {
      if (t.table_id == kDocs) return std::make_pair(t.attachments_pending, t.attachments_dead);
    }
    return std::make_pair(int64_t{-1}, int64_t{-1});
  };
  EXPECT_EQ(documents(), std::make_pair(int64_t{1}, int64_t{0}));
  sync::AttachmentDispatchOptions options;
  options.upload_max_bytes = 1024;  // and no URL to offer: dead
  EXPECT_EQ(Dispatch(options).dead, 1);
  EXPECT_EQ(documents(), std::make_pair(int64_t{0}, int64_t{1}));
  auto dead = sync::ListDeadAttachmentCells(conn(), kDelta);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].record_id, kTexas);
  EXPECT_NE((*dead)[0].reason.find("no URL airpg serves"), std::string::npos);
  // Its id is no row change's: a replay of the row outbox leaves it alone.
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE outbox_id = " +
                   std::to_string((*dead)[0].id)),
            "0");
  auto replayed = sync::ReplayDeadAttachmentCells(conn(), kDelta, {(*dead)[0].id});
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(*replayed, 1);
  EXPECT_EQ(documents(), std::make_pair(int64_t{1}, int64_t{0}));
  EXPECT_EQ(Dispatch().uploaded, 1);  // the default limit: uploaded
  json cell = Cell(kTexas);
  ASSERT_EQ(cell.size(), 2u) << cell;
  EXPECT_EQ(Download(cell[1]), bytes);
  EXPECT_EQ(documents(), std::make_pair(int64_t{0}, int64_t{0}));
}

TEST_F(OutboxAttachmentsTest, DeletingTheRowRemovesTheAttachmentInAirtable) {
  ASSERT_TRUE(conn()
                  .Run("DELETE FROM airpg.attachments WHERE record_id = $1 AND attachment_id = "
                       "'attBpNyForm00001'",
                       {std::string(kNy)})
                  .ok());
  sync::AttachmentDispatchReport report = Dispatch();
  EXPECT_EQ(report.removed, 1);
  json cell = Cell(kNy);
  ASSERT_EQ(cell.size(), 1u) << cell;
  EXPECT_EQ(cell[0]["id"], "attBpNyLogo00001");
  ApplyPayloads();
  EXPECT_EQ(Rows(kNy), "attBpNyLogo00001:" + cell[0]["filename"].get<std::string>());
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.attachment_outbox"), "0");
}

// An upload whose answer was lost is found in Airtable on the next attempt,
// not uploaded a second time.
TEST_F(OutboxAttachmentsTest, ALostUploadAnswerIsNotSentTwice) {
  ASSERT_TRUE(Add(kTexas, "once.bin", Binary(500)).ok());
  transport_->lose_uploads = 1;
  EXPECT_EQ(Dispatch().rescheduled, 1);
  EXPECT_EQ(Cell(kTexas).size(), 2u);
  sync::AttachmentDispatchReport again = Dispatch();
  EXPECT_EQ(again.adopted, 1);
  EXPECT_EQ(again.uploaded, 0);
  json cell = Cell(kTexas);
  ASSERT_EQ(cell.size(), 2u) << cell;
  EXPECT_EQ(Rows(kTexas),
            "attNwTxLicense01:nw-tx-license.pdf," + cell[1]["id"].get<std::string>() + ":once.bin");
}

// Issue 16 (item 7 of session 4): a retry looks for its lost upload by its
// bytes, not just its name and size. An upload that never reached Airtable,
// then another client's file of the same name and size: not taken for
// airpg's; the rule (postgres_wins here) decides the cell, and airpg's file
// is the one in Airtable.
TEST_F(OutboxAttachmentsTest, ALostUploadIsFoundByItsBytesNotItsNameAndSize) {
  sync::AuthorityConfig config;
  config.tables["Documents"].authority = sync::Authority::kBoth;
  config.tables["Documents"].conflict = sync::ConflictRule::kPostgresWins;
  Configure(config);
  const std::string ours = Binary(500);
  std::string theirs = ours;
  theirs[0] = static_cast<char>(theirs[0] ^ 1);
  ASSERT_TRUE(Add(kTexas, "once.bin", ours).ok());
  transport_->refuse_uploads = 1;
  EXPECT_EQ(Dispatch().rescheduled, 1);
  auto other = client_->UploadAttachment(kDelta, kTexas, kFiles, "application/octet-stream",
                                         "once.bin", theirs, nullptr);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  sync::AttachmentDispatchReport again = Dispatch();
  EXPECT_EQ(again.adopted, 0);
  EXPECT_EQ(again.uploaded, 1);
  json cell = Cell(kTexas);
  ASSERT_EQ(cell.size(), 2u) << cell;
  EXPECT_EQ(cell[1]["filename"], "once.bin");
  EXPECT_EQ(Download(cell[1]), ours);
}

// `airpg sync` wired: both paths through the service, the large file
// fetched by Airtable from the /blobs/ route of the sync's own endpoints,
// and the echo leaving one row per attachment.
TEST_F(OutboxAttachmentsTest, TheSyncServiceUploadsAndServesTheLargeFile) {
  daemon::SyncServiceOptions options;
  options.base_id = kDelta;
  options.conninfo = url();
  options.loopback_pings = true;
  options.syncer.sweep_interval = std::chrono::hours(1);
  options.syncer.payload_interval = std::chrono::milliseconds(200);
  options.authority.tables["Documents"].authority = sync::Authority::kBoth;
  options.outbox_idle = std::chrono::milliseconds(20);
  options.outbox_attachments.upload_max_bytes = 100;
  std::atomic<int> steps{0};
  options.on_step = [&](const sync::StepReport&) { ++steps; };
  std::stop_source stop;
  Status result;
  std::thread service(
      [&] { result = daemon::RunSyncService(*writer_, options, stop.get_token()); });
  ASSERT_TRUE(testing::WaitFor([&] { return steps > 0; }, std::chrono::seconds(20)));
  const std::string large = Binary(700);
  ASSERT_TRUE(Add(kTexas, "large.bin", large).ok());
  ASSERT_TRUE(Add(kTexas, "small.bin", "small").ok());
  EXPECT_TRUE(testing::WaitFor([&] { return Cell(kTexas).size() == 3; }, std::chrono::seconds(20)))
      << Cell(kTexas);
  // Both recorded, and the echo applied (one row each, none pending).
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return Scalar(
                   "SELECT count(*) FILTER (WHERE attachment_id IS NOT NULL) || '/' || "
                   "count(*) FROM airpg.attachments WHERE record_id = '" +
                   std::string(kTexas) + "'") == "3/3";
      },
      std::chrono::seconds(20)));
  stop.request_stop();
  service.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
  json cell = Cell(kTexas);
  ASSERT_EQ(cell.size(), 3u) << cell;
  std::map<std::string, std::string> bytes;
  for (const json& a : cell) bytes[a["filename"]] = Download(a);
  EXPECT_EQ(bytes["large.bin"], large);
  EXPECT_EQ(bytes["small.bin"], "small");
}

TEST_F(OutboxAttachmentsTest, AirtableAuthorityRefusesAddingAndRemoving) {
  sync::AuthorityConfig config;
  config.tables["Documents"].authority = sync::Authority::kBoth;
  config.tables["Documents"].fields["Files"] = sync::Authority::kAirtable;
  Configure(config);
  Status added = Add(kTexas, "no.bin", "x");
  EXPECT_EQ(added.code(), StatusCode::kPermissionDenied) << added.ToString();
  EXPECT_NE(added.message().find("sync.tables.Documents"), std::string::npos) << added.message();
  Status removed =
      conn().Run("DELETE FROM airpg.attachments WHERE record_id = $1", {std::string(kTexas)});
  EXPECT_EQ(removed.code(), StatusCode::kPermissionDenied) << removed.ToString();
  // The default authority (airtable) refuses too.
  Configure(sync::AuthorityConfig{});
  EXPECT_EQ(Add(kTexas, "no.bin", "x").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.attachment_outbox"), "0");
  // airpg's inbound apply still writes the cell.
  Control("PATCH", std::string("ui/") + kDelta + "/" + kDocs + "/" + kTexas,
          {{"fields", {{"Files", json::array()}}}});
  ApplyPayloads();
  EXPECT_EQ(Rows(kTexas), "");
}

TEST_F(OutboxAttachmentsTest, AddAttachmentNamesWhatItCannotFind) {
  Status no_table = conn().Run(
      "SELECT airpg.add_attachment($1, 'Nope', 'recX', 'Files', 'a', '', 'x')", {kSchema});
  EXPECT_FALSE(no_table.ok());
  EXPECT_NE(no_table.message().find("no mirrored table"), std::string::npos);
  Status not_attachments =
      conn().Run("SELECT airpg.add_attachment($1, 'Documents', $2, 'Title', 'a', '', 'x')",
                 {kSchema, std::string(kTexas)});
  EXPECT_FALSE(not_attachments.ok());
  EXPECT_NE(not_attachments.message().find("not an attachment field"), std::string::npos);
  Status no_record = conn().Run(
      "SELECT airpg.add_attachment($1, 'Documents', 'recNotThere00001', 'Files', 'a', '', 'x')",
      {kSchema});
  EXPECT_FALSE(no_record.ok());
  EXPECT_NE(no_record.message().find("no live record"), std::string::npos);
}

}  // namespace
}  // namespace airpg
