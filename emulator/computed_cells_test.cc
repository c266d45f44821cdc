// Computed cells whose rendering API.md §5.3 states or leaves open:
// createdTime / lastModifiedTime with a `date` result, and lookups, rollups
// and counts whose link is broken (CellRules, docs/emulator.md).
#include <gtest/gtest.h>

#include "emulator/test_env.h"

namespace airpg::emulator {
namespace {

using nlohmann::json;

constexpr char kJobs[] = "/v0/appComputed00001/Jobs";

std::string Data() {
  return R"json({"bases": [{"id": "appComputed00001", "name": "Computed", "tables": [{
    "id": "tblJobs0000000001", "name": "Jobs",
    "fields": [
      {"id": "fldName0000000001", "name": "Name", "type": "singleLineText"},
      {"id": "fldCreatedOn00001", "name": "Created on", "type": "createdTime",
       "options": {"result": {"type": "date",
                              "options": {"dateFormat": {"name": "us", "format": "M/D/YYYY"}}}}},
      {"id": "fldCreatedTokyo01", "name": "Created in Tokyo", "type": "createdTime",
       "options": {"result": {"type": "date", "options": {"timeZone": "Asia/Tokyo",
                              "dateFormat": {"name": "iso", "format": "YYYY-MM-DD"}}}}},
      {"id": "fldModifiedOn0001", "name": "Modified on", "type": "lastModifiedTime",
       "options": {"isValid": true, "referencedFieldIds": [],
                   "result": {"type": "date",
                              "options": {"dateFormat": {"name": "iso", "format": "YYYY-MM-DD"}}}}},
      {"id": "fldCreatedAt00001", "name": "Created at", "type": "createdTime",
       "options": {"result": {"type": "dateTime", "options": {"timeZone": "utc",
                              "dateFormat": {"name": "iso", "format": "YYYY-MM-DD"},
                              "timeFormat": {"name": "24hour", "format": "HH:mm"}}}}},
      {"id": "fldLookupStored01", "name": "Broken lookup (stored)", "type": "multipleLookupValues",
       "options": {"isValid": false, "recordLinkFieldId": null, "fieldIdInLinkedTable": null,
                   "result": null}},
      {"id": "fldLookupEmpty001", "name": "Broken lookup", "type": "multipleLookupValues",
       "options": {"isValid": false, "recordLinkFieldId": "fldDeletedLink001",
                   "fieldIdInLinkedTable": "fldDeletedName001", "result": null}},
      {"id": "fldRollupStored01", "name": "Broken rollup", "type": "rollup",
       "options": {"isValid": false, "recordLinkFieldId": null, "fieldIdInLinkedTable": null,
                   "referencedFieldIds": [], "result": null}},
      {"id": "fldCountBroken001", "name": "Broken count", "type": "count",
       "options": {"isValid": false, "recordLinkFieldId": null}}
    ],
    "records": [{"id": "recJob0000000001", "createdTime": "2024-03-10T23:30:00.000Z",
                 "fields": {"Name": "Paint", "Broken lookup (stored)": ["Ada", null],
                            "Broken rollup": 3}}]
  }]}]})json";
}

EmulatorOptions Options(CellRules rules = {}) {
  EmulatorOptions options = TestEmulator::DefaultOptions();
  options.data_json = Data();
  options.cell_rules = rules;
  return options;
}

json Fields(TestEmulator& emu, const std::string& query = "") {
  Reply reply = emu.Get(std::string(kJobs) + "/recJob0000000001" + query);
  EXPECT_EQ(reply.status, 200) << reply.body.dump();
  return reply.body["fields"];
}

TEST(ComputedCellsTest, CreatedAndModifiedTimeWithADateResultAreDates) {
  TestEmulator emu(Options());
  json fields = Fields(emu);
  EXPECT_EQ(fields["Created on"], "2024-03-10");        // UTC when the result names no zone
  EXPECT_EQ(fields["Created in Tokyo"], "2024-03-11");  // 08:30 the next day in Tokyo
  EXPECT_EQ(fields["Modified on"], "2024-03-10");
  EXPECT_EQ(fields["Created at"], "2024-03-10T23:30:00.000Z");  // a dateTime result: the instant

  json text = Fields(emu, "?cellFormat=string&timeZone=UTC&userLocale=en-us");
  EXPECT_EQ(text["Created on"], "3/10/2024");
  EXPECT_EQ(text["Created in Tokyo"], "2024-03-11");
  EXPECT_EQ(text["Created at"], "2024-03-10 23:30");
}

TEST(ComputedCellsTest, LastModifiedDateFollowsAWrite) {
  TestEmulator emu(Options());
  emu.emulator().AdvanceClock(int64_t{2} * 24 * 3600 * 1000);  // 2025-01-03
  ASSERT_EQ(
      emu.Patch(std::string(kJobs) + "/recJob0000000001", {{"fields", {{"Name", "Sand"}}}}).status,
      200);
  json fields = Fields(emu);
  EXPECT_EQ(fields["Modified on"], "2025-01-03");
  EXPECT_EQ(fields["Created on"], "2024-03-10");
}

TEST(ComputedCellsTest, DateResultsCanBeShownAsInstants) {
  CellRules rules;
  rules.date_result = CellRules::DateResult::kInstant;
  TestEmulator emu(Options(rules));
  json fields = Fields(emu);
  EXPECT_EQ(fields["Created on"], "2024-03-10T23:30:00.000Z");
  EXPECT_EQ(fields["Created in Tokyo"], "2024-03-10T23:30:00.000Z");
  // The display text is still the date, in the result's zone.
  json text = Fields(emu, "?cellFormat=string&timeZone=UTC&userLocale=en-us");
  EXPECT_EQ(text["Created on"], "3/10/2024");
  EXPECT_EQ(text["Created in Tokyo"], "2024-03-11");
}

TEST(ComputedCellsTest, DateResultsFilterAsDates) {
  TestEmulator emu(Options());
  Reply kept = emu.Get(std::string(kJobs) + "?filterByFormula=" +
                       "IS_SAME(%7BCreated%20on%7D%2C%20%272024-03-10%27%2C%20%27day%27)");
  ASSERT_EQ(kept.status, 200) << kept.body.dump();
  EXPECT_EQ(kept.body["records"].size(), 1u);
}

TEST(ComputedCellsTest, BrokenLookupsRollupsAndCountsShowWhatTheDataFileStores) {
  TestEmulator emu(Options());
  json fields = Fields(emu);
  EXPECT_EQ(fields["Broken lookup (stored)"], json::parse(R"(["Ada", null])"));
  EXPECT_EQ(fields["Broken rollup"], 3);
  EXPECT_FALSE(fields.contains("Broken lookup"));
  EXPECT_FALSE(fields.contains("Broken count"));
  json text = Fields(emu, "?cellFormat=string&timeZone=UTC&userLocale=en-us");
  EXPECT_EQ(text["Broken lookup (stored)"], "Ada, ");
}

TEST(ComputedCellsTest, BrokenLookupsRollupsAndCountsCanBeErrors) {
  CellRules rules;
  rules.broken_computed = CellRules::BrokenComputed::kError;
  TestEmulator emu(Options(rules));
  json fields = Fields(emu);
  json error = {{"error", "#ERROR!"}};
  for (const char* name :
       {"Broken lookup (stored)", "Broken lookup", "Broken rollup", "Broken count"}) {
    EXPECT_EQ(fields[name], error) << name;
  }
  // The rules survive a reset.
  ASSERT_EQ(emu.Post("/__emulator/reset", json::object()).status, 200);
  EXPECT_EQ(Fields(emu)["Broken count"], error);
}

TEST(ComputedCellsTest, CellRulesChangeAtRunTime) {
  TestEmulator emu(Options());
  EXPECT_EQ(emu.Get("/__emulator/cell-rules").body,
            json::parse(R"({"dateResults":"date","brokenComputed":"omit"})"));
  Reply set = emu.Post("/__emulator/cell-rules", {{"dateResults", "instant"}});
  ASSERT_EQ(set.status, 200);
  EXPECT_EQ(set.body, json::parse(R"({"dateResults":"instant","brokenComputed":"omit"})"));
  EXPECT_EQ(Fields(emu)["Created on"], "2024-03-10T23:30:00.000Z");
  ASSERT_EQ(emu.Post("/__emulator/cell-rules", {{"brokenComputed", "error"}}).status, 200);
  EXPECT_EQ(Fields(emu)["Broken count"], json({{"error", "#ERROR!"}}));
  EXPECT_EQ(emu.Post("/__emulator/cell-rules", {{"dateResults", "sometimes"}}).status, 422);
  // Reset restores the data, not the rules.
  ASSERT_EQ(emu.Post("/__emulator/reset", json::object()).status, 200);
  EXPECT_EQ(Fields(emu)["Created on"], "2024-03-10T23:30:00.000Z");
}

}  // namespace
}  // namespace airpg::emulator
