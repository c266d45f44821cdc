// Every Meta API fixture (tests/fixtures/airtable, plus the real-world shapes
// in emulator/testdata/real_meta_shapes.json) loads as a data file, and every
// table it holds lists with 200 through the records and the meta endpoints —
// also after "roughening" (description null, unknown option keys, lookups,
// rollups and counts whose link is gone), the shapes real Meta API responses
// carry (issue 13). The emulator never answers 500 for such data.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "emulator/test_env.h"
#include "http/url.h"

namespace airpg::emulator {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr char kFixtureBase[] = "appFixtureBase001";

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

json TablesOf(const json& fixture, json* bases);

// Meta API bodies (responses, and request bodies in the same shapes): every
// file under meta/, the documented schema/create examples and the real-world
// shapes file.
std::vector<std::string> MetaFixtures() {
  std::vector<std::string> paths;
  const std::string root = AIRPG_FIXTURES_DIR;
  for (const auto& entry : fs::recursive_directory_iterator(root + "/meta")) {
    if (entry.path().extension() == ".json") paths.push_back(entry.path().string());
  }
  for (const char* name : {"base_schema_response", "create_base_request", "create_base_response",
                           "create_field_request", "create_field_response", "update_field_request",
                           "update_field_response"}) {
    paths.push_back(root + "/docs_examples/" + name + ".json");
  }
  paths.push_back(std::string(AIRPG_EMULATOR_TESTDATA_DIR) + "/real_meta_shapes.json");
  std::sort(paths.begin(), paths.end());
  // Those that hold no schema (whoami, an update request) are left out.
  std::erase_if(paths, [](const std::string& path) {
    json bases;
    return TablesOf(ReadJson(path), &bases).is_null();
  });
  return paths;
}

std::string StringAt(const json& object, const char* key) {
  return object.is_object() && object.contains(key) && object[key].is_string()
             ? object[key].get<std::string>()
             : "";
}

// Records the fixtures hold for a table of theirs, keyed by table name.
json CapturedRecords(const std::string& table_name) {
  static const json art_gallery =
      ReadJson(std::string(AIRPG_FIXTURES_DIR) + "/records/art_gallery_list_records_full.json");
  if (table_name == ":/?#[]@!$&'()*+,;= Fewer Artists\\ %2F -._~") return art_gallery["records"];
  return json();
}

// Gives a table records when the fixture has none, so computed cells
// (lookups, counts, created times) are rendered, not only declared.
void AddRecords(json& table) {
  if (table.contains("records")) return;
  json captured = CapturedRecords(StringAt(table, "name"));
  if (!captured.is_null()) {
    table["records"] = captured;
    return;
  }
  json with_text = json::object();
  const json& first = table["fields"].front();
  if (StringAt(first, "type") == "singleLineText") with_text[StringAt(first, "name")] = "text";
  table["records"] =
      json::array({{{"createdTime", "2024-03-10T23:30:00.000Z"}, {"fields", json::object()}},
                   {{"createdTime", "2024-03-11T00:00:00.000Z"}, {"fields", with_text}}});
}

// The tables a fixture stands for, or null when it holds no schema (whoami,
// an update request). A lone field gets a text primary field beside it; a
// lone view a table of the fields it shows.
json TablesOf(const json& fixture, json* bases) {
  if (fixture.contains("bases") && fixture["bases"].is_array()) {
    *bases = fixture["bases"];
    return json::array();
  }
  if (fixture.contains("tables") && fixture["tables"].is_array()) return fixture["tables"];
  if (fixture.contains("fields") && fixture["fields"].is_array()) return json::array({fixture});
  std::string id = StringAt(fixture, "id");
  if (id.rfind("viw", 0) == 0) {
    json fields = json::array();
    for (const json& field_id : fixture["visibleFieldIds"]) {
      fields.push_back({{"id", field_id}, {"name", field_id}, {"type", "singleLineText"}});
    }
    return json::array({{{"id", "tblViewFixture001"},
                         {"name", "View fixture"},
                         {"fields", fields},
                         {"views", json::array({fixture})}}});
  }
  if (!StringAt(fixture, "type").empty() && !StringAt(fixture, "name").empty()) {
    json primary = {{"id", "fldFixturePrimary"}, {"name", "Primary"}, {"type", "singleLineText"}};
    return json::array({{{"id", "tblFieldFixture01"},
                         {"name", "Field fixture"},
                         {"fields", json::array({primary, fixture})}}});
  }
  return json();
}

// What real Meta API responses carry and documented examples do not:
// `"description": null`, option keys nobody knows yet, and lookups, rollups
// and counts whose link field was deleted.
void Roughen(json& tables) {
  for (json& table : tables) {
    if (!table.contains("description")) table["description"] = nullptr;
    for (json& field : table["fields"]) {
      if (!field.contains("description")) field["description"] = nullptr;
      std::string type = StringAt(field, "type");
      if (type == "multipleLookupValues" || type == "rollup" || type == "count") {
        field["options"]["isValid"] = false;
        field["options"]["recordLinkFieldId"] = nullptr;
        if (type != "count") {
          field["options"]["fieldIdInLinkedTable"] = nullptr;
          field["options"]["result"] = nullptr;
        }
      }
      if (field.contains("options") && field["options"].is_object()) {
        field["options"]["airpgUnknownKey"] = {{"x", nullptr}, {"y", json::array({nullptr})}};
      }
    }
  }
}

json DataFile(const json& tables, const json& bases) {
  json data = {{"user", {{"id", "usrFixtureUser001"}, {"email", "ada@example.com"}}}};
  data["bases"] = bases.empty() ? json::array() : bases;
  if (!tables.empty() || bases.empty()) {
    data["bases"].push_back({{"id", kFixtureBase}, {"name", "Fixture"}, {"tables", tables}});
  }
  return data;
}

class MetaFixtureTest : public ::testing::TestWithParam<std::tuple<std::string, bool>> {
 protected:
  // Lists every table of the data file every way a client does; every answer is 200.
  void ListEverything(const json& data) {
    EmulatorOptions options = TestEmulator::DefaultOptions();
    options.data_json = data.dump();
    TestEmulator emu(options);
    ASSERT_EQ(emu.Get("/v0/meta/bases").status, 200);
    for (const json& base : data["bases"]) {
      std::string base_id = StringAt(base, "id");
      std::string level = base.value("permissionLevel", "create");
      std::string meta = "/v0/meta/bases/" + base_id + "/tables";
      if (level == "none") {  // the base looks missing to this token
        EXPECT_EQ(emu.Get(meta).status, 403);
        continue;
      }
      // A webhook that wants every cell, so the writes below render V2 payloads too.
      const std::string hooks = "/v0/bases/" + base_id + "/webhooks";
      std::string hook_id;
      if (level == "create") {
        json spec = {
            {"options",
             {{"filters", {{"dataTypes", {"tableData"}}}},
              {"includes",
               {{"includeCellValuesInFieldIds", "all"}, {"includePreviousCellValues", true}}}}}};
        Reply hook = emu.Post(hooks, {{"specification", spec}});
        ASSERT_EQ(hook.status, 200) << hook.body.dump();
        hook_id = hook.body["id"];
      }
      Reply schema = emu.Get(meta);
      ASSERT_EQ(schema.status, 200) << schema.body.dump();
      EXPECT_EQ(emu.Get(meta + "?include=visibleFieldIds").status, 200);
      ASSERT_EQ(schema.body["tables"].size(), base.value("tables", json::array()).size());
      bool writes = level == "create" || level == "edit";
      for (const json& table : schema.body["tables"]) ListTable(emu, base_id, table, writes);
      if (!hook_id.empty()) {
        Reply payloads = emu.Get(hooks + "/" + hook_id + "/payloads");
        EXPECT_EQ(payloads.status, 200) << payloads.body.dump();
      }
    }
    Reply state = emu.Get("/__emulator/state");
    ASSERT_EQ(state.status, 200);
    // The saved state loads again.
    EmulatorOptions again = TestEmulator::DefaultOptions();
    again.data_json = state.body.dump();
    TestEmulator reloaded(again);
    EXPECT_EQ(reloaded.Get("/v0/meta/bases").status, 200);
  }

  void ListTable(TestEmulator& emu, const std::string& base_id, const json& table, bool writes) {
    const std::string by_id = "/v0/" + base_id + "/" + table["id"].get<std::string>();
    const std::string by_name =
        "/v0/" + base_id + "/" + http::PercentEncode(table["name"].get<std::string>());
    Reply list = emu.Get(by_id);
    ASSERT_EQ(list.status, 200) << table["name"] << ": " << list.body.dump();
    EXPECT_EQ(emu.Get(by_name).status, 200) << table["name"];
    EXPECT_EQ(
        emu.Get(by_id + "?cellFormat=string&timeZone=Asia%2FHo_Chi_Minh&userLocale=fr-ca").status,
        200)
        << table["name"];
    EXPECT_EQ(emu.Post(by_id + "/listRecords", {{"returnFieldsByFieldId", true}}).status, 200);
    for (const json& view : table["views"]) {
      EXPECT_EQ(emu.Get(by_id + "?view=" + view["id"].get<std::string>()).status, 200);
    }
    for (const json& record : list.body["records"]) {
      EXPECT_EQ(emu.Get(by_id + "/" + record["id"].get<std::string>()).status, 200);
    }
    for (const json& field : table["fields"]) {
      std::string id = field["id"];
      EXPECT_EQ(
          emu.Get(by_id + "?sort%5B0%5D%5Bfield%5D=" + id + "&sort%5B0%5D%5Bdirection%5D=desc")
              .status,
          200)
          << table["name"] << "." << field["name"];
      // A filter on any field may be refused (422) but never fails the server.
      std::string name = field["name"];
      if (name.find('}') != std::string::npos) continue;
      int filtered =
          emu.Get(by_id + "?filterByFormula=" + http::PercentEncode("{" + name + "}")).status;
      EXPECT_TRUE(filtered == 200 || filtered == 422) << field["name"] << ": " << filtered;
    }
    // Writes render every cell again, also in the webhook (V2) format, and
    // keep inverse links in step.
    if (!writes) return;
    Reply created = emu.Post(by_id, {{"fields", json::object()}});
    EXPECT_EQ(created.status, 200) << table["name"] << ": " << created.body.dump();
    const json& primary = table["fields"].front();
    for (const json& record : list.body["records"]) {
      std::string record_path = by_id + "/" + record["id"].get<std::string>();
      if (primary["type"] == "singleLineText") {
        Reply renamed = emu.Patch(record_path, {{"fields", {{primary["id"], "renamed"}}}});
        EXPECT_EQ(renamed.status, 200) << renamed.body.dump();
      }
      EXPECT_EQ(emu.Put(record_path, {{"fields", json::object()}}).status, 200);
    }
    if (!list.body["records"].empty()) {
      std::string first = list.body["records"].front()["id"];
      EXPECT_EQ(emu.Delete(by_id + "/" + first).status, 200);
    }
  }
};

TEST_P(MetaFixtureTest, LoadsAndListsEveryTable) {
  const auto& [path, roughened] = GetParam();
  json bases = json::array();
  json tables = TablesOf(ReadJson(path), &bases);
  for (json& table : tables) AddRecords(table);
  if (roughened) Roughen(tables);
  ListEverything(DataFile(tables, bases));
}

std::string TestName(const ::testing::TestParamInfo<std::tuple<std::string, bool>>& info) {
  std::string name = fs::path(std::get<0>(info.param)).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name + (std::get<1>(info.param) ? "_roughened" : "");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, MetaFixtureTest,
                         ::testing::Combine(::testing::ValuesIn(MetaFixtures()), ::testing::Bool()),
                         TestName);

// Each shape real Meta API responses carry, alone on the small test base
// (Registrations holds a lookup and a count of its link to Clients).
struct Shape {
  const char* name;
  void (*apply)(json& tables);
};

void PrintTo(const Shape& shape, std::ostream* os) { *os << shape.name; }

json& FieldNamed(json& tables, const std::string& name) {
  for (json& table : tables) {
    for (json& field : table["fields"]) {
      if (field["name"] == name) return field;
    }
  }
  ADD_FAILURE() << "no field " << name;
  static json none;
  return none;
}

const Shape kShapes[] = {
    {"table_description_null", [](json& t) { t[1]["description"] = nullptr; }},
    {"field_description_null", [](json& t) { FieldNamed(t, "Age")["description"] = nullptr; }},
    {"lookup_link_null",
     [](json& t) {
       json& options = FieldNamed(t, "Client Name")["options"];
       options["recordLinkFieldId"] = nullptr;
       options["isValid"] = false;
       options["result"] = nullptr;
     }},
    {"lookup_target_null",
     [](json& t) {
       json& options = FieldNamed(t, "Client Name")["options"];
       options["fieldIdInLinkedTable"] = nullptr;
       options["isValid"] = false;
       options["result"] = nullptr;
     }},
    {"count_link_null",
     [](json& t) { FieldNamed(t, "Client Count")["options"]["recordLinkFieldId"] = nullptr; }},
    {"rollup_links_null",
     [](json& t) {
       t[1]["fields"].push_back({{"id", "fldRollupBroken01"},
                                 {"name", "Rollup"},
                                 {"type", "rollup"},
                                 {"options",
                                  {{"isValid", false},
                                   {"recordLinkFieldId", nullptr},
                                   {"fieldIdInLinkedTable", nullptr},
                                   {"referencedFieldIds", json::array()},
                                   {"result", nullptr}}}});
     }},
    {"unknown_option_keys",
     [](json& t) {
       for (json& table : t) {
         for (json& field : table["fields"]) {
           if (field.contains("options")) field["options"]["someFutureKey"] = {{"a", nullptr}};
         }
       }
     }},
    {"options_null", [](json& t) { FieldNamed(t, "Active")["options"] = nullptr; }},
    {"link_options_nulls",
     [](json& t) {
       json& options = FieldNamed(t, "Client")["options"];
       options["viewIdForRecordSelection"] = nullptr;
       options["inverseLinkFieldId"] = nullptr;
     }},
    {"lookup_cell_with_null_elements",
     [](json& t) {
       FieldNamed(t, "Client Name")["options"]["recordLinkFieldId"] = nullptr;
       t[1]["records"][0]["fields"]["Client Name"] = json::array({"Ada", nullptr});
     }},
    {"date_time_options_nulls",
     [](json& t) {
       FieldNamed(t, "Created")["options"]["result"]["options"] = {
           {"timeZone", nullptr}, {"dateFormat", {{"name", nullptr}}}, {"timeFormat", nullptr}};
     }},
    {"choice_without_color_or_name",
     [](json& t) {
       FieldNamed(t, "Status")["options"]["choices"].push_back({{"id", "selNoName0000001"}});
     }},
    {"personal_view_of_missing_field",
     [](json& t) {
       t[0]["views"].push_back({{"id", "viwPersonal000001"},
                                {"name", "Mine"},
                                {"type", "grid"},
                                {"personalForUserId", "usrSomeone0000001"},
                                {"visibleFieldIds", {"fldName0000000001", nullptr, "fldGone"}}});
     }},
    {"date_dependency_nulls",
     [](json& t) {
       t[1]["dateDependencySettings"] = {
           {"isEnabled", false}, {"startDateFieldId", nullptr}, {"predecessorFieldId", nullptr}};
     }},
};

class RealShapeTest : public ::testing::TestWithParam<Shape> {};

TEST_P(RealShapeTest, ListsAndWritesWith200) {
  json data = json::parse(TestData());
  GetParam().apply(data["bases"][0]["tables"]);
  EmulatorOptions options = TestEmulator::DefaultOptions();
  options.data_json = data.dump();
  TestEmulator emu(options);
  Reply schema = emu.Get("/v0/meta/bases/appTestBase000001/tables?include=visibleFieldIds");
  ASSERT_EQ(schema.status, 200) << schema.body.dump();
  for (const char* table : {"Clients", "Registrations"}) {
    std::string path = std::string("/v0/appTestBase000001/") + table;
    Reply list = emu.Get(path);
    EXPECT_EQ(list.status, 200) << table << ": " << list.body.dump();
    EXPECT_EQ(emu.Get(path + "?cellFormat=string&timeZone=Europe%2FParis&userLocale=en-gb").status,
              200)
        << table;
    EXPECT_NE(emu.Get(path + "?sort%5B0%5D%5Bfield%5D=Name").status, 500);
  }
  EXPECT_EQ(emu.Patch("/v0/appTestBase000001/Registrations/recRegA000000001",
                      {{"fields", {{"Client", json::array()}}}})
                .status,
            200);
  EXPECT_EQ(emu.Delete(std::string(kClients) + "/recAda00000000001").status, 200);
}

INSTANTIATE_TEST_SUITE_P(Shapes, RealShapeTest, ::testing::ValuesIn(kShapes),
                         [](const ::testing::TestParamInfo<Shape>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace airpg::emulator
