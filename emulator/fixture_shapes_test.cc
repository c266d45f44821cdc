// Shape tests: for each captured Airtable response in the shared fixtures
// (tests/fixtures/airtable, copied from shared/airtable/fixtures), the emulator's answer to the
// same kind of request has the same structure — the same keys at the top
// level of every object, no keys the real API never sends, and the same JSON
// types. Values (ids, names, cells) naturally differ.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "emulator/test_env.h"

namespace airpg::emulator {
namespace {

using nlohmann::json;

json Fixture(const std::string& name) {
  std::ifstream in(std::string(AIRPG_FIXTURES_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

// Objects under these keys hold user data (cells keyed by field name/id,
// records/tables keyed by id): only their JSON type is compared.
const std::set<std::string> kDataKeys = {"fields",        "cellValuesByFieldId",
                                         "options",       "changedTablesById",
                                         "specification", "sourceMetadata"};

std::string Type(const json& v) {
  if (v.is_number()) return "number";
  return v.type_name();
}

// The union of two shapes: objects merge their keys (recursively), arrays
// become one element that merges all of theirs.
json Merge(json a, const json& b) {
  if (a.is_object() && b.is_object()) {
    for (const auto& [key, value] : b.items())
      a[key] = a.contains(key) ? Merge(a[key], value) : value;
    return a;
  }
  if (a.is_array() && b.is_array()) {
    json element;
    for (const json& item : a) element = Merge(element, item);
    for (const json& item : b) element = Merge(element, item);
    return element.is_null() ? json::array() : json::array({element});
  }
  return a.is_null() ? b : a;
}

// Checks that `ours` has the structure of `theirs`: same types, every key of
// ours known to theirs, and (when `same_keys`) every key of theirs present.
void ExpectShape(const json& ours, const json& theirs, const std::string& path, bool same_keys) {
  if (theirs.is_null() || ours.is_null()) return;  // null stands for "any" (e.g. notificationUrl)
  ASSERT_EQ(Type(ours), Type(theirs)) << path;
  if (ours.is_array()) {
    if (ours.empty() || theirs.empty()) return;
    json merged;
    for (const json& item : theirs) merged = Merge(merged, item);  // union of the keys seen
    for (size_t i = 0; i < ours.size(); ++i) {
      ExpectShape(ours[i], merged, path + "[" + std::to_string(i) + "]", false);
    }
    return;
  }
  if (!ours.is_object()) return;
  for (const auto& [key, value] : ours.items()) {
    ASSERT_TRUE(theirs.contains(key)) << path << "." << key << " is not in the fixture";
    if (!kDataKeys.count(key)) ExpectShape(value, theirs[key], path + "." + key, false);
  }
  if (same_keys) {
    for (const auto& [key, value] : theirs.items()) {
      EXPECT_TRUE(ours.contains(key)) << path << "." << key << " is missing";
    }
  }
}

class EmulatorFixtureShapeTest : public ::testing::Test {
 protected:
  TestEmulator emu;
  const std::string hooks = "/v0/bases/appTestBase000001/webhooks";
};

TEST_F(EmulatorFixtureShapeTest, Records) {
  ExpectShape(emu.Get(kClients).body, Fixture("records/art_gallery_list_records_full.json"), "list",
              true);
  ExpectShape(emu.Get(std::string(kClients) + "?recordMetadata[]=commentCount").body,
              Fixture("records/art_gallery_list_records_comment_count.json"), "comments", true);
  ExpectShape(emu.Get(std::string(kClients) + "/recAda00000000001").body,
              Fixture("records/art_gallery_get_record.json"), "get", true);
  json created = emu.Post(kClients, {{"records", {{{"fields", {{"Name", "a"}}}}}}}).body;
  ExpectShape(created, Fixture("records/art_gallery_create_records_batch.json"), "create", true);
  ExpectShape(
      emu.Patch(std::string(kClients) + "/recAda00000000001", {{"fields", {{"Age", 1}}}}).body,
      Fixture("records/art_gallery_update_record_patch.json"), "patch", true);
  ExpectShape(
      emu.Patch(kClients,
                {{"performUpsert", {{"fieldsToMergeOn", {"Name"}}}},
                 {"records", {{{"fields", {{"Name", "Ada"}}}}, {{"fields", {{"Name", "New"}}}}}}})
          .body,
      Fixture("records/art_gallery_upsert_patch_response.json"), "upsert", true);
  ExpectShape(emu.Delete(std::string(kClients) + "/recAda00000000001").body,
              Fixture("records/art_gallery_delete_record.json"), "delete", true);
  ExpectShape(emu.Delete(std::string(kClients) + "?records[]=recBob00000000001").body,
              Fixture("docs_examples/delete_records_response.json"), "delete batch", true);
}

TEST_F(EmulatorFixtureShapeTest, Meta) {
  ExpectShape(emu.Get("/v0/meta/whoami").body, Fixture("meta/whoami_pat.json"), "whoami", true);
  ExpectShape(emu.Get("/v0/meta/bases").body, Fixture("meta/list_bases_real.json"), "bases", true);
  // The live capture has no table descriptions; the documented example has one.
  json schemas = Fixture("meta/base_schema_art_gallery_real.json");
  json documented = Fixture("docs_examples/base_schema_response.json");
  for (const json& table : documented["tables"]) {
    schemas["tables"].push_back(table);
  }
  ExpectShape(emu.Get("/v0/meta/bases/appTestBase000001/tables?include=visibleFieldIds").body,
              schemas, "schema", true);
}

TEST_F(EmulatorFixtureShapeTest, Webhooks) {
  json spec = {{"options", {{"filters", {{"dataTypes", {"tableData"}}}}}}};
  json created = emu.Post(hooks, {{"specification", spec}}).body;
  ExpectShape(created, Fixture("webhooks/create_webhook_response_real.json"), "create", true);
  std::string id = created["id"];
  ExpectShape(emu.Get(hooks).body, Fixture("webhooks/list_webhooks_never_notified_real.json"),
              "list", true);
  emu.Post(kClients, {{"fields", {{"Name", "x"}}}});
  emu.Delete(std::string(kClients) + "/recBob00000000001");
  ExpectShape(emu.Get(hooks + "/" + id + "/payloads").body,
              Fixture("webhooks/list_payloads_create_destroy_real.json"), "payloads", true);
  ExpectShape(emu.Post(hooks + "/" + id + "/refresh", json::object()).body,
              Fixture("webhooks/refresh_webhook_response_real.json"), "refresh", true);
}

TEST_F(EmulatorFixtureShapeTest, ErrorsMatchExactly) {
  EXPECT_EQ(emu.Get("/v0/appMissing0000001/Clients").body,
            Fixture("errors/404_not_found_bare_string.json"));
  EXPECT_EQ(emu.Get("/v0/appTestBase000001/Nope").body,
            Fixture("errors/403_invalid_permissions_or_model_not_found.json"));
  EXPECT_EQ(emu.Get(std::string(kClients) + "?offset=itrAAAAAAAAAAAAAA/recAAAAAAAAAAAAAA").body,
            Fixture("errors/422_list_records_iterator_not_available.json"));
  EXPECT_EQ(emu.Send("GET", kClients, "", "").body,
            Fixture("errors/attested/401_authentication_required.json"));
  EXPECT_EQ(emu.Post(kClients, {{"fields", {{"sessionId", 1}}}}).body,
            Fixture("errors/attested/422_unknown_field_name.json"));
  emu.Post("/__emulator/faults", {{"failNext", {{"status", 429}}}});
  EXPECT_EQ(emu.Get(kClients).body, Fixture("errors/429_rate_limit_reached.json"));
  emu.Post("/__emulator/faults", {{"failNext", {{"status", 503}}}});
  EXPECT_EQ(emu.Get(kClients).body, Fixture("errors/503_retriable_error.json"));
}

}  // namespace
}  // namespace airpg::emulator
