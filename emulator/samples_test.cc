// The shipped sample base and the generator produce consistent, servable data.
#include <gtest/gtest.h>

#include <set>

#include "emulator/clock.h"
#include "emulator/data_file.h"
#include "emulator/generator.h"
#include "emulator/ids.h"
#include "emulator/test_env.h"

namespace airpg::emulator {
namespace {

using nlohmann::json;

// Every link with an inverse field is mirrored by the linked record.
void ExpectLinksSymmetric(const Model& model) {
  for (const Base& base : model.bases) {
    for (const Table& table : base.tables) {
      for (const Field& field : table.fields) {
        if (field.type != "multipleRecordLinks" || !field.options.contains("inverseLinkFieldId")) {
          continue;
        }
        Table* linked = const_cast<Base&>(base).FindTable(field.options.value("linkedTableId", ""));
        ASSERT_NE(linked, nullptr) << field.name;
        std::string inverse = field.options.value("inverseLinkFieldId", "");
        ASSERT_NE(linked->FindField(inverse), nullptr) << field.name;
        for (const Record& record : table.records) {
          if (!record.cells.contains(field.id)) continue;
          for (const auto& target : record.cells[field.id]) {
            const Record* other = linked->FindRecord(target.get<std::string>());
            ASSERT_NE(other, nullptr) << record.id << " → " << target;
            ASSERT_TRUE(other->cells.contains(inverse)) << record.id << " → " << target;
            const auto& back = other->cells[inverse];
            EXPECT_NE(std::find(back.begin(), back.end(), record.id), back.end())
                << table.name << "." << field.name << " " << record.id << " → " << target;
          }
        }
      }
    }
  }
}

TEST(EmulatorSamplesTest, DeltaAnalyticsLoadsWithEveryFieldType) {
  IdGenerator ids(1);
  auto model =
      LoadModelFile(std::string(AIRPG_EMULATOR_SAMPLES_DIR) + "/delta_analytics.json", ids, 0);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const Base& base = model->bases.at(0);
  std::set<std::string> names, types;
  for (const Table& t : base.tables) {
    names.insert(t.name);
    for (const Field& f : t.fields) types.insert(f.type);
  }
  EXPECT_EQ(names, (std::set<std::string>{"Clients", "State Regulators", "Registrations",
                                          "Documents", "Staff"}));
  EXPECT_EQ(types.size(), 32u);  // every type but externalSyncSource (synced tables only)
  ExpectLinksSymmetric(*model);
}

TEST(EmulatorSamplesTest, DeltaAnalyticsServesAndAcceptsWrites) {
  EmulatorOptions options = TestEmulator::DefaultOptions();
  options.data_json.clear();
  options.data_path = std::string(AIRPG_EMULATOR_SAMPLES_DIR) + "/delta_analytics.json";
  TestEmulator emu(options);
  Reply open = emu.Get("/v0/appDeltaAnalytic1/Registrations?view=Open+filings");
  ASSERT_EQ(open.status, 200) << open.body;
  ASSERT_EQ(open.body["records"].size(), 2u);
  EXPECT_EQ(open.body["records"][0]["fields"]["Reference"], "SO-AZ-2023");  // blank Filed At first
  Reply created = emu.Post("/v0/appDeltaAnalytic1/Documents",
                           {{"fields",
                             {{"Title", "Renewal"},
                              {"Registration", {"recRegNwCa000001"}},
                              {"Files", {{{"url", "https://example.com/renewal.pdf"}}}}}}});
  ASSERT_EQ(created.status, 200) << created.body;
  Reply reg = emu.Get("/v0/appDeltaAnalytic1/Registrations/recRegNwCa000001");
  EXPECT_EQ(reg.body["fields"]["Documents"], json({created.body["id"]}));
}

// A base with `datesRelativeTo` loads as if written today: dates,
// dateTimes and createdTimes move by the whole days from that date to now.
TEST(EmulatorSamplesTest, DatesRelativeToMovesDatesByTheDaysToToday) {
  json data = json::parse(R"({"bases": [{"id": "appShift0000000001", "name": "S",
    "datesRelativeTo": "2026-01-01",
    "tables": [{"id": "tblShift000000001", "name": "T", "fields": [
      {"id": "fldName0000000001", "name": "Name", "type": "singleLineText"},
      {"id": "fldDue00000000001", "name": "Due", "type": "date",
       "options": {"dateFormat": {"name": "iso", "format": "YYYY-MM-DD"}}},
      {"id": "fldAt000000000001", "name": "At", "type": "dateTime",
       "options": {"timeZone": "utc", "dateFormat": {"name": "iso", "format": "YYYY-MM-DD"},
                   "timeFormat": {"name": "24hour", "format": "HH:mm"}}}],
    "records": [{"id": "recShift000000001", "createdTime": "2025-12-01T10:00:00.000Z",
      "fields": {"Name": "2026-02-01", "Due": "2026-02-01", "At": "2026-03-01T15:30:00.000Z"}}]}]}]})");
  int64_t now = 0;
  ASSERT_TRUE(ParseIsoMillis("2026-01-11T08:00:00Z", &now));  // ten days on
  IdGenerator ids(1);
  auto model = ModelFromJson(data, ids, now);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const Record& r = model->bases[0].tables[0].records[0];
  EXPECT_EQ(FormatIsoMillis(r.created_millis), "2025-12-11T10:00:00.000Z");
  EXPECT_EQ(r.cells.at("fldDue00000000001"), "2026-02-11");
  EXPECT_EQ(r.cells.at("fldAt000000000001"), "2026-03-11T15:30:00.000Z");
  EXPECT_EQ(r.cells.at("fldName0000000001"), "2026-02-01");  // text stays text
  // Without the key nothing moves.
  data["bases"][0].erase("datesRelativeTo");
  auto as_written = ModelFromJson(data, ids, now);
  ASSERT_TRUE(as_written.ok());
  EXPECT_EQ(as_written->bases[0].tables[0].records[0].cells.at("fldDue00000000001"), "2026-02-01");
}

// The demo's base: the sample's schema and records grown to a few hundred,
// links symmetric, renewals due in the months after whatever day it loads.
TEST(EmulatorSamplesTest, DeltaAnalyticsDemoHasAFewHundredRecordsDatedFromToday) {
  int64_t now = 0;
  ASSERT_TRUE(ParseIsoMillis("2031-07-15T12:00:00Z", &now));
  IdGenerator ids(1);
  auto model = LoadModelFile(std::string(AIRPG_EMULATOR_SAMPLES_DIR) + "/delta_analytics_demo.json",
                             ids, now);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ExpectLinksSymmetric(*model);
  size_t records = 0, due_within_a_year = 0, created_later = 0;
  int64_t year_ahead = now + int64_t{365} * 24 * 3600 * 1000;
  for (const Table& t : model->bases.at(0).tables) {
    EXPECT_GE(t.records.size(), 8u) << t.name;
    records += t.records.size();
    const Field* expires = t.FindField("Expires");
    for (const Record& r : t.records) {
      if (r.created_millis > now) ++created_later;
      if (expires == nullptr || !r.cells.contains(expires->id)) continue;
      int64_t at = 0;
      ASSERT_TRUE(ParseIsoMillis(r.cells.at(expires->id).get<std::string>(), &at));
      if (at >= now && at < year_ahead) ++due_within_a_year;
    }
  }
  EXPECT_GE(records, 300u);
  EXPECT_GE(due_within_a_year, 20u);
  EXPECT_EQ(created_later, 0u);
}

TEST(EmulatorGeneratorTest, GeneratesLinkedTables) {
  IdGenerator ids(1);
  json generated = json::parse(GenerateBase(3, 250, 42).dump());
  auto model = ModelFromJson(nlohmann::ordered_json::parse(generated.dump()), ids, 0);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(model->bases[0].tables.size(), 3u);
  for (const Table& t : model->bases[0].tables) EXPECT_EQ(t.records.size(), 250u);
  ExpectLinksSymmetric(*model);
  EXPECT_EQ(GenerateBase(2, 5, 7).dump(), GenerateBase(2, 5, 7).dump());  // deterministic

  EmulatorOptions options = TestEmulator::DefaultOptions();
  options.data_json = generated.dump();
  TestEmulator emu(options);
  std::string base_id = generated["bases"][0]["id"];
  size_t seen = 0;
  std::string offset;
  do {
    Reply page =
        emu.Get("/v0/" + base_id + "/Table%202" + (offset.empty() ? "" : "?offset=" + offset));
    ASSERT_EQ(page.status, 200) << page.body;
    seen += page.body["records"].size();
    offset = page.body.value("offset", "");
  } while (!offset.empty());
  EXPECT_EQ(seen, 250u);
}

TEST(EmulatorIdsTest, NextNeverReturnsAReservedId) {
  IdGenerator twin(9), ids(9);
  std::string taken = twin.Next("rec");
  ids.Reserve(taken);
  std::string next = ids.Next("rec");
  EXPECT_NE(next, taken);
  EXPECT_EQ(next, twin.Next("rec"));  // the stream goes on: still deterministic
}

// `generate --seed S` and `airtable-emulator --seed S` draw ids from the same
// stream, so the emulator's later ids could repeat the file's: here five
// webhooks (a 14-character id and a 128-character secret each) bring its
// stream in line with the generated record ids. Records created then must
// still get ids of their own (a repeated id made two records of one).
TEST(EmulatorIdsTest, IdsMadeAfterLoadingAGeneratedFileWithTheSameSeedAreNew) {
  constexpr uint64_t kSeed = 42;
  json generated = json::parse(GenerateBase(1, 200, kSeed).dump());
  std::set<std::string> ids;
  for (const json& r : generated["bases"][0]["tables"][0]["records"]) ids.insert(r["id"]);
  EmulatorOptions options = TestEmulator::DefaultOptions();
  options.data_json = generated.dump();
  options.seed = kSeed;
  TestEmulator emu(options);
  std::string base_id = generated["bases"][0]["id"];
  std::string table_id = generated["bases"][0]["tables"][0]["id"];
  for (int i = 0; i < 5; ++i) {
    Reply hook =
        emu.Post("/v0/bases/" + base_id + "/webhooks",
                 {{"specification", {{"options", {{"filters", {{"dataTypes", {"tableData"}}}}}}}}});
    ASSERT_EQ(hook.status, 200) << hook.body;
  }
  for (int i = 0; i < 30; ++i) {
    Reply created = emu.Post("/v0/" + base_id + "/" + table_id, {{"fields", {{"Name", "new"}}}});
    ASSERT_EQ(created.status, 200) << created.body;
    EXPECT_TRUE(ids.insert(created.body["id"].get<std::string>()).second)
        << created.body["id"] << " was already a record's id";
  }
}

}  // namespace
}  // namespace airpg::emulator
