// Create, update, replace, upsert and delete records over real HTTP.
#include <gtest/gtest.h>

#include "emulator/test_env.h"

namespace airpg::emulator {
namespace {

using nlohmann::json;

const std::string kAda = std::string(kClients) + "/recAda00000000001";

TEST(EmulatorCreateRecordsTest, SingleAndBatchForms) {
  TestEmulator emu;
  Reply one = emu.Post(std::string(kClients) + "/", {{"fields", {{"Name", "Fay"}, {"Age", 20}}}});
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.body["fields"]["Name"], "Fay");
  EXPECT_EQ(one.body["fields"]["Number"], 6);  // autoNumber continues
  EXPECT_EQ(one.body["createdTime"], "2025-01-01T00:00:00.000Z");
  std::string id = one.body["id"];
  EXPECT_EQ(id.size(), 17u);
  EXPECT_EQ(id.substr(0, 3), "rec");
  Reply batch = emu.Post(
      kClients, {{"records", {{{"fields", {{"Name", "G1"}}}}, {{"fields", {{"Name", "G2"}}}}}},
                 {"typecast", false}});
  ASSERT_EQ(batch.status, 200) << batch.body;
  ASSERT_EQ(batch.body["records"].size(), 2u);
  EXPECT_EQ(batch.body["records"][1]["fields"]["Name"], "G2");
  EXPECT_EQ(emu.Get(std::string(kClients) + "?").body["records"].size(), 8u);
  Reply by_id = emu.Post(
      kClients, {{"fields", {{"fldName0000000001", "H"}}}, {"returnFieldsByFieldId", true}});
  EXPECT_EQ(by_id.body["fields"]["fldName0000000001"], "H");
}

TEST(EmulatorCreateRecordsTest, TenRecordLimitIsAllOrNothing) {
  TestEmulator emu;
  json records = json::array();
  for (int i = 0; i < 11; ++i) records.push_back({{"fields", {{"Name", "n"}}}});
  Reply r = emu.Post(kClients, {{"records", records}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body["error"]["type"], "INVALID_RECORDS");
  EXPECT_EQ(r.body["error"]["message"],
            "A maximum of 10 records can be created per request but you have provided 11.");
  Reply mixed = emu.Post(
      kClients, {{"records", {{{"fields", {{"Name", "ok"}}}}, {{"fields", {{"Nope", 1}}}}}}});
  EXPECT_EQ(mixed.status, 422);
  EXPECT_EQ(mixed.body["error"]["type"], "UNKNOWN_FIELD_NAME");
  EXPECT_EQ(emu.Get(std::string(kClients) + "?").body["records"].size(), 5u);
}

TEST(EmulatorCreateRecordsTest, CellRules) {
  TestEmulator emu;
  auto create = [&](json fields, bool typecast = false) {
    return emu.Post(kClients, {{"fields", fields}, {"typecast", typecast}});
  };
  Reply computed = create({{"Score", 3}});
  EXPECT_EQ(computed.status, 422);
  EXPECT_EQ(computed.body["error"]["type"], "INVALID_VALUE_FOR_COLUMN");
  EXPECT_EQ(create({{"Created", "2024-01-01"}}).status, 422);
  Reply wrong = create({{"Age", "forty"}});
  EXPECT_EQ(wrong.status, 422);
  EXPECT_EQ(wrong.body["error"]["message"], "Field \"Age\" cannot accept the provided value");
  Reply option = create({{"Status", "Later"}});
  EXPECT_EQ(option.status, 422);
  EXPECT_EQ(option.body["error"]["type"], "INVALID_MULTIPLE_CHOICE_OPTIONS");
  EXPECT_EQ(option.body["error"]["message"],
            "Insufficient permissions to create new select option \"\"Later\"\"");
  Reply link = create({{"Registrations", {"recNotThere00001"}}});
  EXPECT_EQ(link.status, 422);
  EXPECT_EQ(link.body["error"]["type"], "ROW_DOES_NOT_EXIST");

  Reply typed = create({{"Age", "1,234"},
                        {"Status", "Later"},
                        {"Tags", "a, vip"},
                        {"Active", "true"},
                        {"Since", "2024-03-04T10:00:00Z"}},
                       true);
  ASSERT_EQ(typed.status, 200) << typed.body;
  EXPECT_EQ(typed.body["fields"]["Age"], 1234);
  EXPECT_EQ(typed.body["fields"]["Status"], "Later");
  EXPECT_EQ(typed.body["fields"]["Tags"], json({"a", "vip"}));
  EXPECT_EQ(typed.body["fields"]["Since"], "2024-03-04");
  json schema = emu.Get("/v0/meta/bases/appTestBase000001/tables").body;
  const json& status_field = schema["tables"][0]["fields"][3];
  ASSERT_EQ(status_field["name"], "Status");
  ASSERT_EQ(status_field["options"]["choices"].size(), 3u);
  EXPECT_EQ(status_field["options"]["choices"][2]["name"], "Later");
  EXPECT_EQ(status_field["options"]["choices"][2]["id"].get<std::string>().substr(0, 3), "sel");

  Reply empties =
      create({{"Name", ""}, {"Active", false}, {"Tags", json::array()}, {"Age", nullptr}});
  ASSERT_EQ(empties.status, 200);
  // Score is {Age} * 2, recomputed on the write: a blank Age counts as 0.
  EXPECT_EQ(empties.body["fields"],
            json({{"Number", 7}, {"Created", "2025-01-01T00:00:00.000Z"}, {"Score", 0}}));

  Reply owner = create({{"Owner", {{"email", "ada@example.com"}}}});
  ASSERT_EQ(owner.status, 200) << owner.body;
  EXPECT_EQ(owner.body["fields"]["Owner"],
            json({{"id", "usrTestUser000001"}, {"email", "ada@example.com"}, {"name", "Ada"}}));
  Reply files = create({{"Files", {{{"url", "https://example.com/a/report.pdf"}}}}});
  ASSERT_EQ(files.status, 200) << files.body;
  const json& att = files.body["fields"]["Files"][0];
  EXPECT_EQ(att["id"].get<std::string>().substr(0, 3), "att");
  EXPECT_EQ(att["filename"], "report.pdf");
  EXPECT_EQ(att["type"], "application/pdf");
}

TEST(EmulatorUpdateRecordsTest, PatchMergesAndPutClears) {
  TestEmulator emu;
  Reply patched = emu.Patch(kAda, {{"fields", {{"Age", 37}}}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.body["fields"]["Age"], 37);
  EXPECT_EQ(patched.body["fields"]["Name"], "Ada");  // full record back
  Reply cleared = emu.Patch(kAda, {{"fields", {{"Tags", nullptr}}}});
  EXPECT_FALSE(cleared.body["fields"].contains("Tags"));
  Reply replaced = emu.Put(kAda, {{"fields", {{"Name", "Ada L."}}}});
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(replaced.body["fields"], json({{"Name", "Ada L."},
                                           {"Number", 1},
                                           {"Created", "2024-01-01T00:00:00.000Z"},
                                           {"Score", 0}}));  // {Age} * 2, Age cleared
  EXPECT_EQ(
      emu.Patch(std::string(kClients) + "/recMissing0000001", {{"fields", json::object()}}).status,
      403);
  EXPECT_EQ(emu.Patch(kAda, json::object()).body["error"]["type"],
            "INVALID_REQUEST_MISSING_FIELDS");
}

TEST(EmulatorUpdateRecordsTest, BatchUpdateChecksIds) {
  TestEmulator emu;
  Reply r = emu.Patch(std::string(kClients) + "/",
                      {{"records",
                        {{{"id", "recBob00000000001"}, {"fields", {{"Age", 26}}}},
                         {{"id", "recEve00000000001"}, {"fields", {{"Age", 31}}}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["records"][1]["fields"]["Age"], 31);
  EXPECT_FALSE(r.body.contains("createdRecords"));
  Reply missing = emu.Patch(kClients, {{"records",
                                        {{{"id", "recBob00000000001"}, {"fields", {{"Age", 1}}}},
                                         {{"id", "recNope000000001"}, {"fields", {{"Age", 1}}}}}}});
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(missing.body["error"]["type"], "ROW_DOES_NOT_EXIST");
  EXPECT_EQ(emu.Get(std::string(kClients) + "/recBob00000000001").body["fields"]["Age"], 26);
}

TEST(EmulatorUpdateRecordsTest, UpsertCreatesOrUpdatesByMergeFields) {
  TestEmulator emu;
  Reply r = emu.Patch(kClients, {{"performUpsert", {{"fieldsToMergeOn", {"Name"}}}},
                                 {"records",
                                  {{{"fields", {{"Name", "Ada"}, {"Age", 99}}}},
                                   {{"fields", {{"Name", "Zed"}, {"Age", 1}}}},
                                   {{"fields", {{"Name", "Zed"}, {"Active", true}}}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["updatedRecords"], json({"recAda00000000001"}));
  ASSERT_EQ(r.body["createdRecords"].size(), 1u);
  EXPECT_EQ(r.body["records"].size(), 3u);
  EXPECT_EQ(r.body["records"][0]["fields"]["Age"], 99);
  EXPECT_EQ(r.body["records"][0]["fields"]["Name"], "Ada");
  EXPECT_EQ(r.body["records"][2]["fields"]["Active"], true);
  EXPECT_EQ(r.body["records"][2]["fields"]["Age"], 1);
  EXPECT_EQ(r.body["records"][1]["id"], r.body["records"][2]["id"]);

  Reply put = emu.Put(kClients, {{"performUpsert", {{"fieldsToMergeOn", {"fldName0000000001"}}}},
                                 {"records", {{{"fields", {{"Name", "Ada"}}}}}}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_FALSE(put.body["records"][0]["fields"].contains("Age"));  // PUT cleared it

  emu.Post(kClients, {{"fields", {{"Name", "Twin"}}}});
  emu.Post(kClients, {{"fields", {{"Name", "Twin"}}}});
  Reply ambiguous = emu.Patch(kClients, {{"performUpsert", {{"fieldsToMergeOn", {"Name"}}}},
                                         {"records", {{{"fields", {{"Name", "Twin"}}}}}}});
  EXPECT_EQ(ambiguous.status, 422);
}

TEST(EmulatorUpdateRecordsTest, LinksKeepTheInverseInStep) {
  TestEmulator emu;
  Reply r = emu.Patch(std::string(kClients) + "/recBob00000000001",
                      {{"fields", {{"Registrations", {"recRegA000000001"}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  Reply reg = emu.Get("/v0/appTestBase000001/Registrations/recRegA000000001");
  EXPECT_EQ(reg.body["fields"]["Client"], json({"recAda00000000001", "recBob00000000001"}));
  emu.Patch(kAda, {{"fields", {{"Registrations", json::array()}}}});
  reg = emu.Get("/v0/appTestBase000001/Registrations/recRegA000000001");
  EXPECT_EQ(reg.body["fields"]["Client"], json({"recBob00000000001"}));
  emu.Delete(std::string(kClients) + "/recBob00000000001");
  reg = emu.Get("/v0/appTestBase000001/Registrations/recRegA000000001");
  EXPECT_FALSE(reg.body["fields"].contains("Client"));
}

TEST(EmulatorUpdateRecordsTest, LookupsCountsAndCreatedByAreLive) {
  TestEmulator emu;
  const std::string reg = "/v0/appTestBase000001/Registrations/recRegA000000001";
  Reply before = emu.Get(reg);
  EXPECT_EQ(before.body["fields"]["Client Name"], json({"Ada"}));
  EXPECT_EQ(before.body["fields"]["Client Count"], 1);
  emu.Patch(kAda, {{"fields", {{"Name", "Ada L."}}}});
  emu.Patch(reg, {{"fields", {{"Client", {"recAda00000000001", "recBob00000000001"}}}}});
  Reply after = emu.Get(reg);
  EXPECT_EQ(after.body["fields"]["Client Name"], json({"Ada L.", "bob"}));
  EXPECT_EQ(after.body["fields"]["Client Count"], 2);
  Reply created = emu.Post("/v0/appTestBase000001/Registrations", {{"fields", {{"Title", "B"}}}});
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.body["fields"]["Client Count"], 0);
  EXPECT_FALSE(created.body["fields"].contains("Client Name"));
  EXPECT_EQ(created.body["fields"]["Made By"],
            json({{"id", "usrTestUser000001"}, {"email", "ada@example.com"}, {"name", "Ada"}}));
  EXPECT_EQ(emu.Post("/v0/appTestBase000001/Registrations", {{"fields", {{"Client Count", 3}}}})
                .body["error"]["type"],
            "INVALID_VALUE_FOR_COLUMN");
}

TEST(EmulatorDeleteRecordsTest, SingleAndBatch) {
  TestEmulator emu;
  Reply one = emu.Delete(kAda);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.body, json({{"deleted", true}, {"id", "recAda00000000001"}}));
  EXPECT_EQ(emu.Delete(kAda).status, 403);
  Reply batch = emu.Delete(std::string(kClients) +
                           "?records%5B%5D=recBob00000000001&records[]=recCyd00000000001");
  ASSERT_EQ(batch.status, 200) << batch.body;
  EXPECT_EQ(batch.body["records"][1], json({{"deleted", true}, {"id", "recCyd00000000001"}}));
  Reply missing =
      emu.Delete(std::string(kClients) + "?records[]=recDee00000000001&records[]=recGone000000001");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["error"]["message"],
            "Could not find a record with ID \"recGone000000001\".");
  EXPECT_EQ(emu.Get(std::string(kClients)).body["records"].size(), 2u);
  std::string eleven;
  for (int i = 0; i < 11; ++i)
    eleven += (i ? "&" : "?") + std::string("records[]=recDee00000000001");
  EXPECT_EQ(emu.Delete(std::string(kClients) + eleven).body["error"]["type"], "INVALID_RECORDS");
}

}  // namespace
}  // namespace airpg::emulator
