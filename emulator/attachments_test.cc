// Attachments are served from signed URLs that expire after two hours of
// emulated time, and "as a person in the UI" changes carry source client.
#include <gtest/gtest.h>

#include "airtable/webhook_mac.h"
#include "emulator/test_env.h"
#include "http/client.h"
#include "http/server.h"

namespace airpg::emulator {
namespace {

using nlohmann::json;

TEST(EmulatorAttachmentsTest, SignedUrlsServeBytesUntilTheyExpire) {
  TestEmulator emu;
  Reply created = emu.Post(
      kClients,
      {{"fields",
        {{"Name", "doc"},
         {"Files", {{{"url", "https://example.com/a.txt"}, {"filename", "notes.txt"}}}}}}});
  ASSERT_EQ(created.status, 200) << created.body;
  const json& att = created.body["fields"]["Files"][0];
  std::string url = att["url"];
  std::string prefix = emu.emulator().url() + "/__emulator/attachments/" +
                       att["id"].get<std::string>() + "/notes.txt?expires=";
  ASSERT_EQ(url.substr(0, prefix.size()), prefix);
  EXPECT_EQ(att["type"], "text/plain");

  http::Client client;
  auto bytes = client.Send("GET", url);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->status, 200);
  EXPECT_EQ(bytes->content_type, "text/plain");
  EXPECT_EQ(bytes->body.size(), att["size"].get<size_t>());

  auto forged = client.Send("GET", url.substr(0, url.size() - 1) + (url.back() == '0' ? "1" : "0"));
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(forged->status, 403);

  // A fresh read signs a fresh URL; the old one dies two hours after it was made.
  emu.emulator().AdvanceClock(2LL * 3600 * 1000);
  auto expired = client.Send("GET", url);
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(expired->status, 410);
  std::string fresh = emu.Get(std::string(kClients) + "/" + created.body["id"].get<std::string>())
                          .body["fields"]["Files"][0]["url"];
  EXPECT_NE(fresh, url);
  auto again = client.Send("GET", fresh);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 200);
}

TEST(EmulatorAttachmentsTest, KeepingAnAttachmentById) {
  TestEmulator emu;
  Reply created =
      emu.Post(kClients, {{"fields", {{"Files", {{{"url", "https://example.com/a.png"}}}}}}});
  std::string id = created.body["id"];
  std::string att = created.body["fields"]["Files"][0]["id"];
  Reply kept =
      emu.Patch(std::string(kClients) + "/" + id,
                {{"fields", {{"Files", {{{"id", att}}, {{"url", "https://example.com/b.pdf"}}}}}}});
  ASSERT_EQ(kept.status, 200) << kept.body;
  ASSERT_EQ(kept.body["fields"]["Files"].size(), 2u);
  EXPECT_EQ(kept.body["fields"]["Files"][0]["id"], att);
  EXPECT_EQ(kept.body["fields"]["Files"][0]["filename"], "a.png");
  EXPECT_EQ(emu.Patch(std::string(kClients) + "/" + id,
                      {{"fields", {{"Files", {{{"id", "attUnknown000001"}}}}}}})
                .status,
            422);
}

TEST(EmulatorAttachmentsTest, UploadAttachmentStoresBytes) {
  TestEmulator emu;
  Reply uploaded = emu.Post("/v0/appTestBase000001/recBob00000000001/Files/uploadAttachment",
                            {{"contentType", "text/plain"},
                             {"file", "aGVsbG8g\nd29ybGQ=\n"},  // "hello world", MIME-wrapped
                             {"filename", "hello.txt"}});
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  EXPECT_EQ(uploaded.body["id"], "recBob00000000001");
  const json& att = uploaded.body["fields"]["fldFiles000000001"][0];
  EXPECT_EQ(att["size"], 11);
  EXPECT_EQ(att["type"], "text/plain");
  EXPECT_FALSE(att.contains("content"));
  http::Client client;
  auto bytes = client.Send("GET", att["url"].get<std::string>());
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->body, "hello world");
  EXPECT_EQ(emu.Post("/v0/appTestBase000001/recBob00000000001/Name/uploadAttachment",
                     {{"file", "aGk="}, {"filename", "x"}})
                .status,
            422);
  EXPECT_EQ(emu.Post("/v0/appTestBase000001/recMissing0000001/Files/uploadAttachment",
                     {{"file", "aGk="}, {"filename", "x"}})
                .status,
            403);
}

// An upload shows in webhook payloads like any other change of the cell,
// and a file over 5 MB is refused (API.md §3).
TEST(EmulatorAttachmentsTest, UploadIsAChangeInWebhookPayloadsAndHasA5MbLimit) {
  TestEmulator emu;
  const std::string hooks = "/v0/bases/appTestBase000001/webhooks";
  std::string hook =
      emu.Post(hooks,
               {{"specification", {{"options", {{"filters", {{"dataTypes", {"tableData"}}}}}}}}})
          .body["id"];
  Reply uploaded =
      emu.Post("/v0/appTestBase000001/recBob00000000001/fldFiles000000001/uploadAttachment",
               {{"contentType", "text/plain"}, {"file", "aGk="}, {"filename", "hi.txt"}});
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  std::string att = uploaded.body["fields"]["fldFiles000000001"].back()["id"];
  json payloads = emu.Get(hooks + "/" + hook + "/payloads").body["payloads"];
  ASSERT_EQ(payloads.size(), 1u) << payloads;
  const json& cell =
      payloads[0]["changedTablesById"]["tblClients0000001"]["changedRecordsById"]
              ["recBob00000000001"]["current"]["cellValuesByFieldId"]["fldFiles000000001"];
  ASSERT_TRUE(cell.is_array()) << payloads;
  EXPECT_EQ(cell.back()["id"], att);
  EXPECT_EQ(cell.back()["filename"], "hi.txt");

  std::string big(5 * 1024 * 1024 + 1, 'x');
  Reply refused = emu.Post("/v0/appTestBase000001/recBob00000000001/Files/uploadAttachment",
                           {{"contentType", "text/plain"},
                            {"file", airtable::Base64Encode(big)},
                            {"filename", "big.txt"}});
  EXPECT_EQ(refused.status, 422) << refused.body;
  std::string five_mb(5 * 1024 * 1024, 'y');
  Reply accepted = emu.Post("/v0/appTestBase000001/recBob00000000001/Files/uploadAttachment",
                            {{"contentType", "text/plain"},
                             {"file", airtable::Base64Encode(five_mb)},
                             {"filename", "five.txt"}});
  EXPECT_EQ(accepted.status, 200);
}

// A URL written into an attachment cell is copied, as Airtable copies it:
// the attachment then serves those bytes (loopback URLs; others would need
// the network and serve placeholder bytes).
TEST(EmulatorAttachmentsTest, UrlAttachmentsAreCopiedFromLoopback) {
  http::Server files;
  http::Server::Options options;
  ASSERT_TRUE(files
                  .Start(options,
                         [](const http::Request& request) {
                           http::Response r;
                           r.status = request.target == "/report.csv" ? 200 : 404;
                           r.content_type = "text/csv";
                           r.body = "a,b\n1,2\n";
                           return r;
                         })
                  .ok());
  TestEmulator emu;
  std::string url = "http://127.0.0.1:" + std::to_string(files.port()) + "/report.csv";
  Reply written = emu.Patch(std::string(kClients) + "/recBob00000000001",
                            {{"fields", {{"Files", {{{"url", url}, {"filename", "r.csv"}}}}}}});
  ASSERT_EQ(written.status, 200) << written.body;
  const json& att = written.body["fields"]["Files"][0];
  EXPECT_EQ(att["size"], 8);
  EXPECT_EQ(att["type"], "text/csv");
  EXPECT_FALSE(att.contains("content"));
  http::Client client;
  auto bytes = client.Send("GET", att["url"].get<std::string>());
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->body, "a,b\n1,2\n");
  files.Stop();
}

TEST(EmulatorUiChangesTest, SchemaChangesAsAPerson) {
  TestEmulator emu;
  Reply renamed = emu.Patch(
      "/__emulator/ui/meta/bases/appTestBase000001/tables/tblClients0000001/fields/"
      "fldAge00000000001",
      {{"name", "Years"}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(emu.Get(std::string(kClients) + "/recAda00000000001").body["fields"]["Years"], 36);
}

}  // namespace
}  // namespace airpg::emulator
