// Values arrive exactly (issue 13): a base built from every Meta API field
// fixture (tests/fixtures/airtable/meta/field_schema), holding a valid value
// of every field type — numbers with float noise and of any size, formula
// errors, lookups with null elements and user objects, date results sent as
// instants, 10 kB select choices — migrates through the emulator with no
// rejects and verifies clean; formula errors are queryable per row and field.
#include <gtest/gtest.h>

#include <fmt/core.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "airtable/record.h"
#include "emulated_base_test.h"
#include "mapping/record_row.h"
#include "mapping/schema_plan.h"
#include "pg/transaction.h"
#include "sync/live_schema.h"
#include "sync/row_upsert.h"

namespace airpg {
namespace {

using nlohmann::json;
using ValuesTest = testing::EmulatedBaseTest;
using testing::ReadFile;

constexpr const char* kBase = "appValuesBase0001";
constexpr const char* kTable = "tblFgcHgyO7LlhgUe";  // the fixtures' self-link points here

// A 10 kB choice: longer than any btree or GIN entry holds, and not
// compressible below that (no repetition for pglz to find).
std::string LongChoice(char tag) {
  std::string text;
  uint64_t x = 88172645463325252ull + static_cast<uint64_t>(tag);
  while (text.size() < 10240) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    text += static_cast<char>('!' + x % 90);
  }
  return std::string(1, tag) + text;
}

// A valid cell for each fixture field, as Airtable would send it.
json ValueFor(const json& field) {
  std::string type = field["type"];
  std::string id = field["id"];
  if (type == "singleLineText") return "Row one";
  if (type == "multilineText") return "line one\nline two";
  if (type == "richText") return "**bold** text";
  if (type == "email") return "ada@example.com";
  if (type == "url") return "https://example.com/a?b=c";
  if (type == "phoneNumber") return "+1 (555) 010-9999";
  if (type == "number") return json::parse("0.29999999999999877");
  if (type == "currency") return json::parse("1234.56789");
  if (type == "percent") return json::parse("0.29999999999999877");  // a 0-decimal percent
  if (type == "duration") return json::parse("90061.5");
  if (type == "rating") return 4;
  if (type == "checkbox") return true;
  if (type == "date") return "2024-02-29";
  if (type == "dateTime") return "2022-09-05T07:00:00.000Z";
  if (type == "singleSelect") return "In progress";
  if (type == "multipleSelects") return json::array({"One", "Three"});
  if (type == "singleCollaborator" || type == "createdBy" || type == "lastModifiedBy") {
    return {{"id", "usrValuesUser0001"}, {"email", "u@example.com"}, {"name", "U"}};
  }
  if (type == "multipleCollaborators") {
    return json::array({{{"id", "usrValuesUser0001"}, {"email", "u@example.com"}, {"name", "U"}}});
  }
  if (type == "multipleRecordLinks") return json::array({"recValuesRow00001"});
  if (type == "multipleAttachments") {
    return json::array({{{"id", "attValuesFile0001"},
                         {"filename", "a.txt"},
                         {"size", 3},
                         {"type", "text/plain"},
                         {"content", "YWJj"}}});
  }
  if (type == "barcode") return {{"text", "0123"}, {"type", "upce"}};
  if (type == "button") return {{"label", "Open"}, {"url", "https://example.com"}};
  if (type == "aiText") return {{"state", "generated"}, {"isStale", false}, {"value", "Hi"}};
  // Computed by the emulator from the record.
  if (type == "createdTime" || type == "lastModifiedTime") return nullptr;
  if (type == "count") return 1;
  if (type == "autoNumber") return 1;
  if (type == "externalSyncSource") return "One";
  if (type == "manualSort") return "a0";
  // The fixture formula adds text to a date: NaN; the rollup is an error.
  if (type == "formula") return {{"specialValue", "NaN"}};
  if (type == "rollup") return {{"error", "#ERROR!"}};
  if (type == "multipleLookupValues") return json::array({"One", nullptr});
  return {{"something", json::array({"wacky", 1e-300})}};  // unknown type
}

struct Built {
  json data;
  std::map<std::string, std::string> field_ids;  // fixture file stem → field id
};

// Every fixture field in one table (ids and names made unique: some
// fixtures share them), plus fields for the shapes the fixtures lack.
Built EveryFieldBase() {
  Built out;
  json fields = json::array();
  json cells = json::object();
  std::set<std::string> ids, names;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(AIRPG_FIXTURES_DIR) +
                                                               "/meta/field_schema")) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  int n = 0;
  for (const auto& path : files) {
    json field = json::parse(ReadFile(path.string()));
    ++n;
    if (!ids.insert(field["id"].get<std::string>()).second) {
      field["id"] = fmt::format("fldValuesDup{:05d}", n);
      ids.insert(field["id"].get<std::string>());
    }
    if (!names.insert(field["name"].get<std::string>()).second) {
      field["name"] = field["name"].get<std::string>() + " " + std::to_string(n);
      names.insert(field["name"].get<std::string>());
    }
    if (field.contains("options") && field["options"].is_null()) field.erase("options");
    out.field_ids[path.stem().string()] = field["id"];
    json value = ValueFor(field);
    if (!value.is_null()) cells[field["name"].get<std::string>()] = value;
    fields.push_back(field);
  }
  auto add = [&](json field, json value) {
    cells[field["name"].get<std::string>()] = std::move(value);
    out.field_ids[field["name"].get<std::string>()] = field["id"];
    fields.push_back(std::move(field));
  };
  add({{"id", "fldValuesBigInt01"},
       {"name", "Big"},
       {"type", "number"},
       {"options", {{"precision", 0}}}},
      json::parse("1e20"));
  add({{"id", "fldValuesTiny0001"},
       {"name", "Tiny"},
       {"type", "number"},
       {"options", {{"precision", 2}}}},
      json::parse("1e-300"));
  add({{"id", "fldValuesNumLook1"},
       {"name", "Scores"},
       {"type", "multipleLookupValues"},
       {"options",
        {{"isValid", true},
         {"recordLinkFieldId", "fldNvFMYxBnf35WkO"},
         {"fieldIdInLinkedTable", "fldrkqRoHDtIko3wc"},
         {"result", {{"type", "number"}, {"options", {{"precision", 0}}}}}}}},
      json::parse("[0.29999999999999877,null,1e-300]"));
  add({{"id", "fldValuesUsrLook1"},
       {"name", "Owners"},
       {"type", "multipleLookupValues"},
       {"options",
        {{"isValid", true},
         {"recordLinkFieldId", "fldNvFMYxBnf35WkO"},
         {"fieldIdInLinkedTable", "fldx2Pz3OV1ikvqFw"},
         {"result", {{"type", "singleCollaborator"}}}}}},
      json::array({{{"id", "usrValuesUser0001"}, {"email", "u@example.com"}, {"name", "U"}}}));
  add({{"id", "fldValuesDayForm1"},
       {"name", "Day"},
       {"type", "formula"},
       {"options",
        {{"isValid", true},
         {"formula", "NOW()"},
         {"referencedFieldIds", json::array()},
         {"result", {{"type", "date"}, {"options", {{"timeZone", "Asia/Tokyo"}}}}}}}},
      "2015-02-09T23:24:14.000Z");
  add({{"id", "fldValuesInfinity"},
       {"name", "Ratio"},
       {"type", "formula"},
       {"options",
        {{"isValid", true},
         {"formula", "1/0"},
         {"referencedFieldIds", json::array()},
         {"result", {{"type", "number"}, {"options", {{"precision", 2}}}}}}}},
      json{{"specialValue", "Infinity"}});
  add({{"id", "fldValuesLongOne1"},
       {"name", "Long choice"},
       {"type", "singleSelect"},
       {"options",
        {{"choices", json::array({{{"id", "selValuesLong0001"},
                                   {"name", LongChoice('A')},
                                   {"color", "blueLight2"}}})}}}},
      LongChoice('A'));
  add({{"id", "fldValuesLongMany"},
       {"name", "Long choices"},
       {"type", "multipleSelects"},
       {"options",
        {{"choices",
          json::array(
              {{{"id", "selValuesLong0002"}, {"name", LongChoice('B')}, {"color", "blueLight2"}},
               {{"id", "selValuesShort001"}, {"name", "short"}}})}}}},
      json::array({LongChoice('B'), "short"}));
  json second = cells;
  second["Name"] = "Row two";
  second.erase("Link to Self");
  json records = json::array({{{"id", "recValuesRow00001"}, {"fields", cells}},
                              {{"id", "recValuesRow00002"}, {"fields", second}}});
  json tables = json::array({{{"id", kTable},
                              {"name", "Every field"},
                              {"primaryFieldId", "fldeica4zrxCGxsl1"},
                              {"fields", fields},
                              {"records", records}}});
  out.data = {{"user", {{"id", "usrValuesUser0001"}, {"email", "u@example.com"}, {"name", "U"}}},
              {"bases", json::array({{{"id", kBase},
                                      {"name", "Values base"},
                                      {"permissionLevel", "create"},
                                      {"tables", tables}}})}};
  return out;
}

TEST_F(ValuesTest, EveryFixtureFieldMigratesWithNoRejectsAndVerifiesClean) {
  Built base = EveryFieldBase();
  StartEmulator(base.data.dump());
  auto summary = Run(kBase);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto rejects = conn().Exec("SELECT field_id, raw_value, reason FROM airpg.rejects");
  ASSERT_TRUE(rejects.ok());
  for (int i = 0; i < rejects->size(); ++i) {
    ADD_FAILURE() << rejects->Get(i, 0) << " " << rejects->Get(i, 1) << ": " << rejects->Get(i, 2);
  }
  ExpectClean(summary->verify);
  ExpectClean(Verify(kBase));
  EXPECT_EQ(Scalar("SELECT count(*) FROM values_base.every_field"), "2");

  auto column = [&](const std::string& field_id) {
    return Scalar(
        fmt::format("SELECT column_name FROM airpg.fields WHERE field_id = '{}'", field_id));
  };
  auto cell = [&](const std::string& field_id) {
    return Scalar(
        fmt::format("SELECT \"{}\"::text FROM values_base.every_field WHERE airtable_id = "
                    "'recValuesRow00001'",
                    column(field_id)));
  };
  // Every digit, whatever the display precision.
  EXPECT_EQ(cell(base.field_ids["PercentFieldSchema"]), "0.29999999999999877");
  EXPECT_EQ(cell(base.field_ids["CurrencyFieldSchema"]), "1234.56789");
  EXPECT_EQ(cell("fldValuesBigInt01"), "100000000000000000000");
  EXPECT_EQ(Scalar(fmt::format("SELECT \"{}\" = 1e-300 FROM values_base.every_field LIMIT 1",
                               column("fldValuesTiny0001"))),
            "t");
  EXPECT_EQ(Scalar(fmt::format("SELECT \"{}\"[1]::text || ',' || coalesce(\"{}\"[2]::text, "
                               "'NULL') FROM values_base.every_field LIMIT 1",
                               column("fldValuesNumLook1"), column("fldValuesNumLook1"))),
            "0.29999999999999877,NULL");
  EXPECT_EQ(Scalar(fmt::format("SELECT \"{}\"->0->>'id' FROM values_base.every_field LIMIT 1",
                               column("fldValuesUsrLook1"))),
            "usrValuesUser0001");
  EXPECT_EQ(cell("fldValuesDayForm1"), "2015-02-10");  // the day in Tokyo
  // Formula errors: the column NULL, the error kept per row and field.
  for (const auto& [field_id, error] : std::map<std::string, std::string>{
           {base.field_ids["FormulaFieldSchema"], R"({"specialValue":"NaN"})"},
           {base.field_ids["RollupFieldSchema"], R"({"error":"#ERROR!"})"},
           {"fldValuesInfinity", R"({"specialValue":"Infinity"})"}}) {
    SCOPED_TRACE(field_id);
    EXPECT_EQ(
        Scalar(fmt::format("SELECT count(*) FROM values_base.every_field WHERE \"{}\" IS NULL "
                           "AND airpg_cell_errors -> '{}' = '{}'::jsonb",
                           column(field_id), field_id, error)),
        "2");
  }
  // The display precision is in the column comment (and the catalog's options).
  EXPECT_NE(Scalar(fmt::format("SELECT col_description('values_base.every_field'::regclass, "
                               "attnum) FROM pg_attribute WHERE attrelid = "
                               "'values_base.every_field'::regclass AND attname = '{}'",
                               column(base.field_ids["PercentFieldSchema"])))
                .find("shown with 0 decimals in Airtable"),
            std::string::npos);
  // 10 kB choices: in their choices table and the rows, exact.
  std::string choices =
      Scalar("SELECT relation_table FROM airpg.fields WHERE field_id = 'fldValuesLongOne1'");
  auto exact =
      conn().Exec(fmt::format("SELECT count(*) FROM values_base.\"{}\" WHERE name = $1", choices),
                  {LongChoice('A')});
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_EQ(exact->Get(0, 0), "1");
  auto in_rows = conn().Exec(
      fmt::format("SELECT count(*) FROM values_base.every_field WHERE \"{}\" = $1 AND \"{}\" @> "
                  "ARRAY[$2]",
                  column("fldValuesLongOne1"), column("fldValuesLongMany")),
      {LongChoice('A'), LongChoice('B')});
  ASSERT_TRUE(in_rows.ok()) << in_rows.status().ToString();
  EXPECT_EQ(in_rows->Get(0, 0), "2");
}

// The sync writes a row's formula errors from the same conversion as the
// loader, and clears them when the formula computes again.
TEST_F(ValuesTest, TheSyncWritesAndClearsFormulaErrors) {
  StartEmulator(EveryFieldBase().data.dump());
  ASSERT_TRUE(Run(kBase).ok());
  auto live = sync::LoadLiveBase(conn(), kBase);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  const mapping::TablePlan* table = live->plan.FindTable(kTable);
  ASSERT_NE(table, nullptr);
  auto upsert = [&](const std::string& cell) {
    auto record = airtable::ParseRecord(
        R"({"id":"recValuesRow00002","createdTime":"2024-01-02T03:04:05.000Z","fields":{)"
        R"("fldeica4zrxCGxsl1":"Row two","fldValuesInfinity":)" +
        cell + "}}");
    ASSERT_TRUE(record.ok()) << record.status().ToString();
    std::vector<mapping::RecordRow> rows = {mapping::ConvertRecord(*table, *record)};
    EXPECT_TRUE(rows[0].rejects.empty());
    auto tx = pg::Transaction::Begin(conn());
    ASSERT_TRUE(tx.ok());
    // As the inbound apply writes (RecordApplier): past the write guard.
    ASSERT_TRUE(tx->Run("SET LOCAL airpg.origin = 'airtable'").ok());
    auto changed = sync::UpsertRows(*tx, live->schema, *table, rows);
    ASSERT_TRUE(changed.ok()) << changed.status().ToString();
    ASSERT_TRUE(tx->Commit().ok());
  };
  auto state = [&] {
    return Scalar(fmt::format(
        "SELECT coalesce(\"{}\"::text, 'NULL') || ' ' || coalesce(airpg_cell_errors::text, 'NULL') "
        "FROM {}.every_field WHERE airtable_id = 'recValuesRow00002'",
        table->FindField("fldValuesInfinity")->column_name, live->schema));
  };
  upsert("0.30000000000000004");
  EXPECT_EQ(state(), "0.30000000000000004 NULL");
  upsert(R"({"error":"#ERROR!"})");
  EXPECT_EQ(state(), R"(NULL {"fldValuesInfinity": {"error": "#ERROR!"}})");
  upsert("2");
  EXPECT_EQ(state(), "2 NULL");
}

}  // namespace
}  // namespace airpg
