// Meta API: whoami, list bases, base schema, create/update table and field.
#include <gtest/gtest.h>

#include "emulator/test_env.h"

namespace airpg::emulator {
namespace {

using nlohmann::json;

const std::string kTables = "/v0/meta/bases/appTestBase000001/tables";

TEST(EmulatorMetaTest, WhoamiAndListBases) {
  TestEmulator emu;
  EXPECT_EQ(emu.Get("/v0/meta/whoami").body, json({{"id", "usrTestUser000001"}}));
  Reply bases = emu.Get("/v0/meta/bases");
  ASSERT_EQ(bases.status, 200);
  EXPECT_EQ(bases.body, json::parse(R"({"bases":[{"id":"appTestBase000001","name":"Test Base",
                                        "permissionLevel":"create"}]})"));
}

TEST(EmulatorMetaTest, ListBasesPagesByThousand) {
  json data = {{"bases", json::array()}};
  for (int i = 0; i < 1001; ++i) data["bases"].push_back({{"name", "B" + std::to_string(i)}});
  EmulatorOptions options = TestEmulator::DefaultOptions();
  options.data_json = data.dump();
  TestEmulator emu(options);
  Reply first = emu.Get("/v0/meta/bases");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.body["bases"].size(), 1000u);
  std::string offset = first.body["offset"];
  EXPECT_EQ(offset.substr(0, 3), "itr");
  EXPECT_EQ(offset.substr(18, 3), "app");
  Reply second = emu.Get("/v0/meta/bases?offset=" + offset);
  ASSERT_EQ(second.body["bases"].size(), 1u);
  EXPECT_EQ(second.body["bases"][0]["name"], "B1000");
  EXPECT_FALSE(second.body.contains("offset"));
  EXPECT_EQ(emu.Get("/v0/meta/bases?offset=junk").status, 422);
}

TEST(EmulatorMetaTest, BaseSchemaShapes) {
  TestEmulator emu;
  Reply plain = emu.Get(kTables);
  ASSERT_EQ(plain.status, 200) << plain.body;
  const json& clients = plain.body["tables"][0];
  EXPECT_EQ(clients["id"], "tblClients0000001");
  EXPECT_EQ(clients["primaryFieldId"], "fldName0000000001");
  EXPECT_EQ(clients["description"], "People we serve");
  EXPECT_FALSE(plain.body["tables"][1].contains("description"));  // omitted when empty
  EXPECT_EQ(clients["fields"][0],
            json({{"type", "singleLineText"}, {"id", "fldName0000000001"}, {"name", "Name"}}));
  EXPECT_EQ(clients["fields"][6]["options"]["inverseLinkFieldId"], "fldClient00000001");
  EXPECT_FALSE(clients["views"][0].contains("visibleFieldIds"));
  Reply visible = emu.Get(kTables + "?include=visibleFieldIds");
  const json& views = visible.body["tables"][0]["views"];
  EXPECT_EQ(views[0]["visibleFieldIds"].size(), 12u);
  EXPECT_FALSE(views[2].contains("visibleFieldIds"));  // gallery view
  EXPECT_EQ(views[2]["type"], "gallery");
  EXPECT_EQ(emu.Get(kTables + "?include%5B%5D=visibleFieldIds").body, visible.body);
  EXPECT_EQ(emu.Get("/v0/meta/bases/appMissing0000001/tables").status, 403);
}

TEST(EmulatorMetaTest, CreateTableWithLinkMakesInverse) {
  TestEmulator emu;
  Reply created = emu.Post(kTables, json::parse(R"({"name":"Documents","description":"Files",
      "fields":[{"name":"Title","type":"singleLineText"},
                {"name":"Kind","type":"singleSelect","options":{"choices":[{"name":"PDF"}]}},
                {"name":"Client","type":"multipleRecordLinks",
                 "options":{"linkedTableId":"tblClients0000001"}}]})"));
  ASSERT_EQ(created.status, 200) << created.body;
  const json& table = created.body;
  EXPECT_EQ(table["id"].get<std::string>().substr(0, 3), "tbl");
  EXPECT_EQ(table["primaryFieldId"], table["fields"][0]["id"]);
  EXPECT_EQ(table["views"][0]["name"], "Grid view");
  EXPECT_EQ(table["fields"][1]["options"]["choices"][0]["id"].get<std::string>().substr(0, 3),
            "sel");
  std::string inverse_id = table["fields"][2]["options"]["inverseLinkFieldId"];
  json schema = emu.Get(kTables).body;
  ASSERT_EQ(schema["tables"].size(), 3u);
  const json& inverse = schema["tables"][0]["fields"].back();
  EXPECT_EQ(inverse["id"], inverse_id);
  EXPECT_EQ(inverse["name"], "Documents");
  EXPECT_EQ(inverse["options"]["linkedTableId"], table["id"]);

  // Records can be written through the new link, and the inverse follows.
  Reply doc = emu.Post("/v0/appTestBase000001/Documents",
                       {{"fields", {{"Title", "a"}, {"Client", {"recEve00000000001"}}}}});
  ASSERT_EQ(doc.status, 200) << doc.body;
  EXPECT_EQ(emu.Get(std::string(kClients) + "/recEve00000000001").body["fields"]["Documents"],
            json({doc.body["id"]}));

  EXPECT_EQ(emu.Post(kTables,
                     json::parse(
                         R"({"name":"documents","fields":[{"name":"A","type":"singleLineText"}]})"))
                .body["error"]["type"],
            "DUPLICATE_TABLE_NAME");
  EXPECT_EQ(emu.Post(kTables, json::parse(R"({"name":"X","fields":[]})")).status, 422);
}

TEST(EmulatorMetaTest, CreateAndUpdateFields) {
  TestEmulator emu;
  std::string fields = kTables + "/tblClients0000001/fields";
  Reply created =
      emu.Post(fields, json::parse(R"({"name":"Email","type":"email","description":"work"})"));
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.body["type"], "email");
  EXPECT_EQ(created.body["description"], "work");
  std::string id = created.body["id"];
  EXPECT_EQ(emu.Post(fields, json::parse(R"({"name":"f","type":"formula"})")).status, 422);
  EXPECT_EQ(
      emu.Post(fields, json::parse(R"({"name":"name","type":"email"})")).body["error"]["type"],
      "DUPLICATE_OR_EMPTY_FIELD_NAME");
  Reply renamed = emu.Patch(fields + "/" + id, {{"name", "E-mail"}});
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.body["name"], "E-mail");
  EXPECT_EQ(emu.Post(kClients, {{"fields", {{"E-mail", "a@b.c"}}}}).status, 200);

  Reply table = emu.Patch(kTables + "/Clients", {{"name", "Customers"}, {"description", ""}});
  ASSERT_EQ(table.status, 200) << table.body;
  EXPECT_EQ(table.body["name"], "Customers");
  EXPECT_FALSE(table.body.contains("description"));
  EXPECT_EQ(emu.Get("/v0/appTestBase000001/Customers").status, 200);
  EXPECT_EQ(emu.Get(kClients).status, 403);
}

}  // namespace
}  // namespace airpg::emulator
