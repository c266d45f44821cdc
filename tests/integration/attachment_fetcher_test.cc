// AttachmentFetcher (src/blobs) against a real Postgres and the
// airtable-emulator: the cells are read through the Airtable client as the
// loader reads them, the bytes come from the emulator's signed, expiring
// URLs. Here, not beside the code: blobs may not include airtable/.
#include "blobs/attachment_fetcher.h"
#include "blobs/attachment_download.h"

#include <map>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "airtable/cell.h"
#include "airtable/client.h"
#include "airtable/testing/emulator_process.h"
#include "airtable/webhook_mac.h"
#include "blobs/testing/blob_testing.h"
#include "http/server.h"
#include "pg/catalog.h"
#include "pg/testing/pg_test.h"

namespace airpg::blobs {
namespace {

using nlohmann::json;
using testing::Sha256Hex;
using testing::TempDir;

constexpr char kBase[] = "appAttachments001";
constexpr char kTable[] = "tblFiles000000001";
constexpr char kFiles[] = "fldFiles000000001";

// One attachment of the emulator's data: its bytes and what Airtable announces.
struct Served {
  std::string id;
  std::string bytes;
  int64_t announced = -1;  // -1: the true size
};

std::string Content(int i) {
  std::string out;
  // Attachments 9, 19, … repeat their predecessor's bytes under another id.
  int n = i % 10 == 9 ? i - 1 : i;
  for (int r = 0; r < (n % 7 + 1) * 400; ++r)
    out += "parallel attachment " + std::to_string(n) + "\n";
  return out;
}

// A base with one table whose records each hold one list of attachments.
std::string DataFile(const std::vector<std::vector<Served>>& records) {
  json rows = json::array();
  for (size_t r = 0; r < records.size(); ++r) {
    json cell = json::array();
    for (const Served& s : records[r]) {
      cell.push_back({{"id", s.id},
                      {"url", "https://example.com/" + s.id},
                      {"filename", s.id + ".txt"},
                      {"type", "text/plain"},
                      {"size", s.announced >= 0 ? s.announced : int64_t(s.bytes.size())},
                      {"content", airtable::Base64Encode(s.bytes)}});
    }
    rows.push_back({{"id", fmt::format("rec{:014}", r)},
                    {"fields", {{"Name", "r" + std::to_string(r)}, {"Files", cell}}}});
  }
  json table = {{"id", kTable},
                {"name", "Files"},
                {"fields",
                 {{{"id", "fldName0000000001"}, {"name", "Name"}, {"type", "singleLineText"}},
                  {{"id", kFiles}, {"name", "Files"}, {"type", "multipleAttachments"}}}},
                {"records", rows}};
  return json{{"bases", {{{"id", kBase}, {"name", "Attachments"}, {"tables", {table}}}}}}.dump();
}

class AttachmentFetcherTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
    auto store = BlobStore::Open({.spool_directory = spool_.path().string(), .chunk_bytes = 20000});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  // Starts the emulator with `records` and reads every attachment cell back.
  void Serve(const std::vector<std::vector<Served>>& records) {
    auto started =
        airtable::testing::EmulatorProcess::Start(AIRPG_EMULATOR_BINARY, DataFile(records));
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    emulator_ = std::move(started).value();
    airtable::ClientOptions options;
    options.endpoint_url = emulator_->url();
    options.token = "patMigrateTest000.0123456789abcdef";
    client_ = std::make_unique<airtable::Client>(options, pacer_);
    airtable::ListOptions list;
    list.return_fields_by_field_id = true;
    airtable::RecordPager pager = client_->ListRecords(kBase, kTable, list);
    while (true) {
      auto page = pager.Next();
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      if (!page->has_value()) break;
      for (const airtable::Record& record : (*page)->records) {
        auto parsed = airtable::ReadAttachments(*record.Cell(kFiles));
        ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
        // The cell's attachments go to the fetcher as they were read.
        cells_.insert(cells_.end(), parsed->begin(), parsed->end());
      }
    }
  }

  const Attachment& Cell(const std::string& id) {
    for (const Attachment& cell : cells_) {
      if (cell.id == id) return cell;
    }
    ADD_FAILURE() << "no attachment " << id;
    return cells_.front();
  }

  AttachmentFetcher Fetcher() {
    FetcherOptions options;
    options.retry.initial = std::chrono::milliseconds(1);
    options.retry.max_attempts = 2;
    options.sleep = [this](std::chrono::milliseconds) { ++sleeps_; };
    return AttachmentFetcher(*store_, options);
  }

  std::string Query(const std::string& sql, const std::vector<pg::Param>& params = {}) {
    auto rows = conn().Exec(sql, params);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() && !rows->empty() ? std::string(rows->Get(0, 0)) : "";
  }

  // What the loader writes once an attachment is stored.
  void RecordRow(const Attachment& stored, int position) {
    ASSERT_TRUE(conn()
                    .Run("INSERT INTO airpg.attachments (schema_name, table_id, record_id, "
                         "field_id, position, attachment_id, filename, content_type, size, "
                         "sha256) VALUES ('s', $1, 'rec0', $2, $3::integer, $4, $5, $6, "
                         "$7::bigint, $8)",
                         {kTable, kFiles, std::to_string(position), stored.id, stored.filename,
                          stored.type, std::to_string(stored.size), stored.sha256})
                    .ok());
  }

  void ExpireUrls() {
    ASSERT_TRUE(emulator_->Control("POST", "clock", R"({"advanceSeconds": 10800})").ok());
  }

  TempDir spool_;
  std::unique_ptr<BlobStore> store_;
  airtable::Pacer pacer_;
  std::unique_ptr<airtable::testing::EmulatorProcess> emulator_;
  std::unique_ptr<airtable::Client> client_;
  std::vector<Attachment> cells_;
  int sleeps_ = 0;
};

TEST_F(AttachmentFetcherTest, StoresTheBytesTheEmulatorServesOnceForTwoIds) {
  std::string bytes = Content(3);
  Serve({{{"attSameBytes0001", bytes}, {"attSameBytes0002", bytes}}});
  AttachmentFetcher fetcher = Fetcher();
  auto first = fetcher.Fetch(conn(), Cell("attSameBytes0001"));
  auto second = fetcher.Fetch(conn(), Cell("attSameBytes0002"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(first->sha256, Sha256Hex(bytes));
  EXPECT_EQ(second->sha256, first->sha256);
  EXPECT_EQ(first->id, "attSameBytes0001");
  EXPECT_EQ(first->filename, "attSameBytes0001.txt");
  EXPECT_EQ(first->type, "text/plain");
  EXPECT_EQ(first->size, int64_t(bytes.size()));
  EXPECT_EQ(*store_->Read(conn(), first->sha256), bytes);
  EXPECT_EQ(Query("SELECT count(*) FROM airpg.blobs"), "1");
  EXPECT_EQ(fetcher.stats().downloaded, 2);
  EXPECT_EQ(fetcher.stats().bytes_downloaded, int64_t(2 * bytes.size()));
}

TEST_F(AttachmentFetcherTest, AStoredAttachmentIsNotDownloadedAgain) {
  Serve({{{"attKnown00000001", Content(1)}, {"attUnknown000001", Content(2)}}});
  AttachmentFetcher fetcher = Fetcher();
  auto first = fetcher.Fetch(conn(), Cell("attKnown00000001"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  RecordRow(*first, 0);
  // The URLs are dead now: an attachment that needed a download would fail.
  ExpireUrls();
  auto again = fetcher.Fetch(conn(), Cell("attKnown00000001"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->sha256, first->sha256);
  EXPECT_EQ(fetcher.Fetch(conn(), Cell("attUnknown000001")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fetcher.stats().downloaded, 1);
  EXPECT_EQ(fetcher.stats().reused, 1);
}

TEST_F(AttachmentFetcherTest, DirectoryStoreKeepsTheFileUnderItsSha) {
  TempDir dir;
  store_ = std::move(BlobStore::Open({.directory = dir.path().string()})).value();
  Serve({{{"attDirectory0001", Content(4)}}});
  AttachmentFetcher fetcher = Fetcher();
  auto stored = fetcher.Fetch(conn(), Cell("attDirectory0001"));
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  std::string sha = Sha256Hex(Content(4));
  EXPECT_EQ(stored->sha256, sha);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / sha.substr(0, 2) / sha));
  EXPECT_EQ(dir.CountFiles(), 1);
  EXPECT_EQ(Query("SELECT (content IS NULL)::text FROM airpg.blobs WHERE sha256 = $1", {sha}),
            "true");
  // A row of the attachment whose file is gone does not count as stored.
  RecordRow(*stored, 0);
  std::filesystem::remove(dir.path() / sha.substr(0, 2) / sha);
  auto again = fetcher.Fetch(conn(), Cell("attDirectory0001"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(fetcher.stats().downloaded, 2);
  EXPECT_EQ(dir.CountFiles(), 1);
}

TEST_F(AttachmentFetcherTest, SizeMismatchesAndDeadUrlsStoreNothing) {
  TempDir dir;
  store_ = std::move(BlobStore::Open({.directory = dir.path().string()})).value();
  Serve({{{"attAnnouncedMore", "twelve bytes", 20},
          {"attAnnouncedLess", Content(5), 100},
          {"attExpiresSoon01", "soon"}}});
  AttachmentFetcher fetcher = Fetcher();
  Status more = fetcher.Fetch(conn(), Cell("attAnnouncedMore")).status();
  EXPECT_EQ(more.code(), StatusCode::kDataLoss) << more.ToString();
  EXPECT_NE(more.message().find("size mismatch: Airtable announced 20 bytes, the download has 12"),
            std::string_view::npos)
      << more.ToString();
  Status less = fetcher.Fetch(conn(), Cell("attAnnouncedLess")).status();
  EXPECT_EQ(less.code(), StatusCode::kDataLoss) << less.ToString();

  Attachment forged = Cell("attExpiresSoon01");
  forged.url.back() = forged.url.back() == '0' ? '1' : '0';
  EXPECT_EQ(fetcher.Fetch(conn(), forged).status().code(), StatusCode::kNotFound);
  Attachment missing = forged;
  missing.url = emulator_->url() + "/__emulator/no-such-thing";
  EXPECT_EQ(fetcher.Fetch(conn(), missing).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(sleeps_, 2);  // the 404 was retried; the others were not
  ExpireUrls();
  Status expired = fetcher.Fetch(conn(), Cell("attExpiresSoon01")).status();
  EXPECT_EQ(expired.code(), StatusCode::kNotFound) << expired.ToString();

  EXPECT_EQ(Query("SELECT count(*) FROM airpg.blobs"), "0");
  EXPECT_EQ(dir.CountFiles(), 0);  // no spool file left behind either
  EXPECT_EQ(fetcher.stats().failed, 5);
}

// Issue 14: the size cap holds whatever Airtable announces: over it, nothing
// is fetched; announced under it but served larger, the download is cut off.
TEST_F(AttachmentFetcherTest, Issue14TheSizeCapHolds) {
  Serve({{{"attOverTheCap001", std::string(5000, 'o')},
          {"attUnderstated01", std::string(5000, 'u'), 100}}});
  FetcherOptions options;
  options.max_bytes = 1000;
  options.sleep = [](std::chrono::milliseconds) {};
  AttachmentFetcher fetcher(*store_, options);
  Status over = fetcher.Fetch(conn(), Cell("attOverTheCap001")).status();
  EXPECT_EQ(over.code(), StatusCode::kInvalidArgument) << over.ToString();
  Status understated = fetcher.Fetch(conn(), Cell("attUnderstated01")).status();
  EXPECT_FALSE(understated.ok());
  EXPECT_EQ(fetcher.stats().bytes_downloaded, 0);
  EXPECT_EQ(Query("SELECT count(*) FROM airpg.blobs"), "0");
  EXPECT_EQ(FetcherOptions{}.max_bytes, int64_t{5} << 30);  // Airtable's largest attachment
}

TEST_F(AttachmentFetcherTest, FetchAllRunsInParallelAndAnswersInOrder) {
  std::vector<std::vector<Served>> records;
  for (int i = 0; i < 50; ++i) {
    records.push_back({{fmt::format("attParallel{:05}", i), Content(i)}});
  }
  Serve(records);
  ASSERT_EQ(cells_.size(), 50u);
  std::vector<Attachment> wanted(cells_.rbegin(), cells_.rend());
  wanted.push_back(wanted.front());  // the same id twice is fetched once
  AttachmentFetcher fetcher = Fetcher();
  std::vector<Result<Attachment>> results = fetcher.FetchAll(url(), wanted, 4);
  ASSERT_EQ(results.size(), wanted.size());
  for (size_t k = 0; k < wanted.size(); ++k) {
    ASSERT_TRUE(results[k].ok()) << k << ": " << results[k].status().ToString();
    EXPECT_EQ(results[k]->id, wanted[k].id);
    int i = std::stoi(wanted[k].id.substr(11));
    EXPECT_EQ(results[k]->sha256, Sha256Hex(Content(i))) << wanted[k].id;
  }
  EXPECT_EQ(fetcher.stats().downloaded, 50);
  EXPECT_EQ(Query("SELECT count(*) FROM airpg.blobs"), "45");  // 5 repeat their predecessor
  EXPECT_EQ(spool_.CountFiles(), 0);
}

TEST_F(AttachmentFetcherTest, FetchAllWithoutADatabaseFailsEveryAttachment) {
  Serve({{{"attNoDatabase001", "a"}, {"attNoDatabase002", "b"}}});
  AttachmentFetcher fetcher = Fetcher();
  auto results = fetcher.FetchAll("postgresql://127.0.0.1:1/nowhere", cells_, 2);
  ASSERT_EQ(results.size(), 2u);
  for (const auto& result : results) {
    EXPECT_EQ(result.status().code(), StatusCode::kUnavailable) << result.status().ToString();
  }
  EXPECT_EQ(fetcher.stats().failed, 2);
}

// The download itself, against a plain HTTP server: streamed, hashed, and
// the statuses Airtable's content hosts answer translated.
TEST(AttachmentDownloadTest, StreamsAndHashes) {
  std::string bytes;
  for (int i = 0; i < 300000; ++i) bytes += static_cast<char>('a' + i % 26);
  http::Server server;
  ASSERT_TRUE(server
                  .Start({},
                         [&](const http::Request& request) {
                           http::Response r;
                           if (request.target == "/file") {
                             r.content_type = "application/pdf";
                             r.body = bytes;
                           } else {
                             r.status = request.target == "/expired" ? 410 : 500;
                           }
                           return r;
                         })
                  .ok());
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  std::string received;
  auto download = DownloadAttachment(
      base + "/file", "airpg-test",
      [&](std::string_view piece) {
        received.append(piece);
        return Status::Ok();
      },
      http::kDefaultMaxDownloadBytes);
  ASSERT_TRUE(download.ok()) << download.status().ToString();
  EXPECT_EQ(download->size, 300000);
  EXPECT_EQ(received, bytes);
  EXPECT_EQ(download->content_type, "application/pdf");
  EXPECT_EQ(download->sha256.size(), 64u);
  auto ignore = [](std::string_view) { return Status::Ok(); };
  EXPECT_EQ(DownloadAttachment(base + "/expired", "airpg-test", ignore, 1 << 20).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(DownloadAttachment(base + "/broken", "airpg-test", ignore, 1 << 20).status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(DownloadAttachment(base + "/file", "airpg-test", ignore, 1000).status().code(),
            StatusCode::kResourceExhausted);
  auto refusing = [](std::string_view) { return DataLossError("disk full"); };
  EXPECT_EQ(DownloadAttachment(base + "/file", "airpg-test", refusing, 1 << 20).status().code(),
            StatusCode::kDataLoss);
}

}  // namespace
}  // namespace airpg::blobs
