// List and get records against an in-process emulator over real HTTP.
#include <gtest/gtest.h>

#include <set>

#include "emulator/test_env.h"
#include "http/url.h"

namespace airpg::emulator {
namespace {

using nlohmann::json;

std::vector<std::string> Names(const json& body) {
  std::vector<std::string> names;
  for (const json& r : body["records"]) names.push_back(r["fields"].value("Name", ""));
  return names;
}

std::string Enc(const std::string& s) { return http::PercentEncode(s); }

TEST(EmulatorListRecordsTest, ReturnsTableOrderAndOmitsEmptyCells) {
  TestEmulator emu;
  Reply r = emu.Get(std::string(kClients) + "?");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Names(r.body), (std::vector<std::string>{"Ada", "bob", "Cyd", "Dee", "Eve"}));
  EXPECT_FALSE(r.body.contains("offset"));
  const json& ada = r.body["records"][0];
  EXPECT_EQ(ada["id"], "recAda00000000001");
  EXPECT_EQ(ada["createdTime"], "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(ada["fields"]["Active"], true);
  EXPECT_EQ(ada["fields"]["Tags"], json::array({"vip"}));
  EXPECT_EQ(ada["fields"]["Registrations"], json::array({"recRegA000000001"}));
  EXPECT_EQ(ada["fields"]["Number"], 1);
  EXPECT_EQ(ada["fields"]["Created"], "2024-01-01T00:00:00.000Z");
  const json& dee = r.body["records"][3];
  EXPECT_FALSE(dee["fields"].contains("Active"));  // false is an empty checkbox
  EXPECT_FALSE(dee["fields"].contains("Age"));
  EXPECT_FALSE(ada.contains("commentCount"));
}

TEST(EmulatorListRecordsTest, PagesWithOpaqueOffsets) {
  TestEmulator emu;
  std::vector<std::string> seen;
  std::string offset;
  int pages = 0;
  do {
    std::string path = std::string(kClients) + "?pageSize=2";
    if (!offset.empty()) path += "&offset=" + Enc(offset);
    Reply r = emu.Get(path);
    ASSERT_EQ(r.status, 200) << r.body;
    for (const auto& n : Names(r.body)) seen.push_back(n);
    offset = r.body.value("offset", "");
    if (!offset.empty()) {
      EXPECT_EQ(offset.substr(0, 3), "itr");
      EXPECT_EQ(offset.size(), 35u);
      EXPECT_EQ(offset.substr(18, 3), "rec");
    }
    ++pages;
  } while (!offset.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"Ada", "bob", "Cyd", "Dee", "Eve"}));
}

TEST(EmulatorListRecordsTest, MaxRecordsCapsAllPages) {
  TestEmulator emu;
  Reply first = emu.Get(std::string(kClients) + "?pageSize=2&maxRecords=3");
  ASSERT_EQ(first.status, 200);
  ASSERT_TRUE(first.body.contains("offset"));
  Reply second = emu.Get(std::string(kClients) +
                         "?pageSize=2&maxRecords=3&offset=" + Enc(first.body["offset"]));
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(Names(second.body), (std::vector<std::string>{"Cyd"}));
  EXPECT_FALSE(second.body.contains("offset"));
  Reply capped = emu.Get(std::string(kClients) + "?maxRecords=2");
  EXPECT_EQ(capped.body["records"].size(), 2u);
  EXPECT_FALSE(capped.body.contains("offset"));
}

TEST(EmulatorListRecordsTest, PageSizeAbove100IsRejected) {
  TestEmulator emu;
  Reply r = emu.Get(std::string(kClients) + "?pageSize=101");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body["error"]["type"], "INVALID_PAGE_SIZE_ARGUMENT");
}

TEST(EmulatorListRecordsTest, OffsetsExpireOnTheEmulatedClock) {
  EmulatorOptions options = TestEmulator::DefaultOptions();
  options.offset_ttl_millis = 60000;
  TestEmulator emu(options);
  Reply first = emu.Get(std::string(kClients) + "?pageSize=2");
  std::string offset = first.body["offset"];
  emu.emulator().AdvanceClock(59999);
  EXPECT_EQ(emu.Get(std::string(kClients) + "?pageSize=2&offset=" + Enc(offset)).status, 200);
  emu.emulator().AdvanceClock(59999);  // idle time restarts at each use
  Reply second = emu.Get(std::string(kClients) + "?pageSize=2&offset=" + Enc(offset));
  EXPECT_EQ(second.status, 200);
  emu.emulator().AdvanceClock(60000);
  Reply expired = emu.Get(std::string(kClients) + "?pageSize=2&offset=" + Enc(offset));
  EXPECT_EQ(expired.status, 422);
  EXPECT_EQ(expired.body,
            json::parse(R"({"error":{"type":"LIST_RECORDS_ITERATOR_NOT_AVAILABLE"}})"));
  Reply garbage = emu.Get(std::string(kClients) + "?offset=nonsense");
  EXPECT_EQ(garbage.status, 422);
  EXPECT_EQ(garbage.body["error"]["type"], "INVALID_OFFSET_VALUE");
}

TEST(EmulatorListRecordsTest, FieldsByNameOrIdAndKeysByFieldId) {
  TestEmulator emu;
  Reply r = emu.Get(std::string(kClients) + "?fields%5B%5D=Name&fields[]=fldAge00000000001");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["records"][0]["fields"], json::parse(R"({"Name":"Ada","Age":36})"));
  Reply by_id = emu.Get(std::string(kClients) + "?fields[]=Name&returnFieldsByFieldId=1");
  EXPECT_EQ(by_id.body["records"][0]["fields"], json::parse(R"({"fldName0000000001":"Ada"})"));
  Reply unknown = emu.Get(std::string(kClients) + "?fields[]=Nope");
  EXPECT_EQ(unknown.status, 422);
  EXPECT_EQ(unknown.body["error"]["type"], "UNKNOWN_FIELD_NAME");
  EXPECT_EQ(unknown.body["error"]["message"], "Unknown field name: \"Nope\"");
}

TEST(EmulatorListRecordsTest, SortsStablyWithBlanksFirstAscending) {
  TestEmulator emu;
  Reply desc = emu.Get(std::string(kClients) +
                       "?sort%5B0%5D%5Bfield%5D=Age&sort%5B0%5D%5Bdirection%5D=desc");
  ASSERT_EQ(desc.status, 200) << desc.body;
  EXPECT_EQ(Names(desc.body), (std::vector<std::string>{"Cyd", "Ada", "Eve", "bob", "Dee"}));
  Reply asc = emu.Get(std::string(kClients) + "?sort[0][field]=Age");
  EXPECT_EQ(Names(asc.body), (std::vector<std::string>{"Dee", "bob", "Eve", "Ada", "Cyd"}));
  Reply text = emu.Get(std::string(kClients) + "?sort[0][field]=Name&sort[0][direction]=asc");
  EXPECT_EQ(Names(text.body), (std::vector<std::string>{"Ada", "bob", "Cyd", "Dee", "Eve"}));
  Reply created =
      emu.Get(std::string(kClients) + "?sort[0][field]=Created&sort[0][direction]=desc");
  EXPECT_EQ(Names(created.body), (std::vector<std::string>{"Eve", "Dee", "Cyd", "bob", "Ada"}));
  Reply unknown = emu.Get(std::string(kClients) + "?sort[0][field]=Nope");
  EXPECT_EQ(unknown.status, 422);
}

TEST(EmulatorListRecordsTest, ViewAppliesItsFilterAndOrder) {
  TestEmulator emu;
  Reply by_name = emu.Get(std::string(kClients) + "?view=Active+by+age");
  ASSERT_EQ(by_name.status, 200) << by_name.body;
  EXPECT_EQ(Names(by_name.body), (std::vector<std::string>{"Cyd", "Ada"}));
  Reply by_id = emu.Get(std::string(kClients) + "?view=viwActive00000001&sort[0][field]=Name");
  EXPECT_EQ(Names(by_id.body), (std::vector<std::string>{"Ada", "Cyd"}));  // sort overrides
  EXPECT_EQ(emu.Get(std::string(kClients) + "?view=Nope").status, 422);
}

TEST(EmulatorListRecordsTest, FilterByFormula) {
  TestEmulator emu;
  auto filter = [&](const std::string& formula) {
    return emu.Get(std::string(kClients) + "?filterByFormula=" + Enc(formula));
  };
  EXPECT_EQ(Names(filter("{Age} > 30").body), (std::vector<std::string>{"Ada", "Cyd"}));
  EXPECT_EQ(Names(filter("AND({Active}, {Status} = 'New')").body),
            (std::vector<std::string>{"Ada"}));
  EXPECT_EQ(Names(filter("RECORD_ID() = 'recBob00000000001'").body),
            (std::vector<std::string>{"bob"}));
  EXPECT_EQ(Names(filter("{Age} = BLANK()").body), (std::vector<std::string>{"Dee"}));
  EXPECT_EQ(Names(filter("NOT({Active})").body), (std::vector<std::string>{"bob", "Dee", "Eve"}));
  EXPECT_EQ(Names(filter("FIND('Reg', {Registrations})").body), (std::vector<std::string>{"Ada"}));
  Reply plus = emu.Get(std::string(kClients) + "?filterByFormula=%7BName%7D+%3D+%27Ada%27");
  EXPECT_EQ(Names(plus.body), (std::vector<std::string>{"Ada"}));
  Reply unknown = filter("{Nope} = 1");
  EXPECT_EQ(unknown.status, 422);
  EXPECT_EQ(unknown.body["error"]["type"], "INVALID_FILTER_BY_FORMULA");
  EXPECT_EQ(filter("AND(").status, 422);
}

TEST(EmulatorListRecordsTest, FilterByFormulaSeesComputedFieldsAsAReadShowsThem) {
  TestEmulator emu;
  auto filter = [&](const std::string& formula) {
    return emu.Get(std::string(kClients) + "?filterByFormula=" + Enc(formula));
  };
  // createdTime fields hold no stored cell: the filter reads the record's time.
  EXPECT_EQ(Names(filter("IS_AFTER({Created}, '2024-01-03T12:00:00.000Z')").body),
            (std::vector<std::string>{"Dee", "Eve"}));
  // Counts follow the links (Registrations' Client Count).
  Reply regs =
      emu.Get("/v0/appTestBase000001/Registrations?filterByFormula=" + Enc("{Client Count} >= 1"));
  ASSERT_EQ(regs.status, 200) << regs.body;
  EXPECT_FALSE(regs.body["records"].empty());
}

TEST(EmulatorListRecordsTest, PostListRecordsReadsTheBody) {
  TestEmulator emu;
  Reply r = emu.Post(std::string(kClients) + "/listRecords?",
                     {{"pageSize", 1},
                      {"fields", {"Name"}},
                      {"sort", {{{"field", "Name"}, {"direction", "desc"}}}},
                      {"recordMetadata", "commentCount"},
                      {"method", "post"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Names(r.body), (std::vector<std::string>{"Eve"}));
  EXPECT_EQ(r.body["records"][0]["commentCount"], 0);
  Reply next = emu.Post(std::string(kClients) + "/listRecords",
                        {{"pageSize", 1}, {"offset", r.body["offset"]}, {"fields", {"Name"}}});
  EXPECT_EQ(Names(next.body), (std::vector<std::string>{"Dee"}));
}

TEST(EmulatorListRecordsTest, CellFormatStringNeedsZoneAndLocale) {
  TestEmulator emu;
  EXPECT_EQ(emu.Get(std::string(kClients) + "?cellFormat=string").status, 422);
  Reply r = emu.Get(std::string(kClients) +
                    "?cellFormat=string&timeZone=Europe%2FParis&userLocale=en-gb&maxRecords=1");
  ASSERT_EQ(r.status, 200) << r.body;
  const json& f = r.body["records"][0]["fields"];
  EXPECT_EQ(f["Active"], "checked");
  EXPECT_EQ(f["Age"], "36");
  EXPECT_EQ(f["Registrations"], "Reg A");
  EXPECT_EQ(f["Tags"], "vip");
}

TEST(EmulatorListRecordsTest, AcceptsTableIdEncodedNamesAndTrailingSlash) {
  TestEmulator emu;
  EXPECT_EQ(emu.Get("/v0/appTestBase000001/tblClients0000001").status, 200);
  EXPECT_EQ(emu.Get("/v0/appTestBase000001/Clients/?").status, 200);
  EXPECT_EQ(emu.Get("/v0/appTestBase000001/%43lients").status, 200);
}

TEST(EmulatorListRecordsTest, CachedPagesFollowEveryChange) {
  TestEmulator emu;
  auto ada = [&] { return emu.Get(std::string(kClients) + "?maxRecords=1").body["records"][0]; };
  EXPECT_EQ(ada()["fields"]["Age"], 36);
  EXPECT_EQ(ada()["fields"]["Age"], 36);  // served from the cache
  emu.Patch(std::string(kClients) + "/recAda00000000001", {{"fields", {{"Age", 40}}}});
  EXPECT_EQ(ada()["fields"]["Age"], 40);
  emu.Patch("/__emulator/ui/appTestBase000001/Clients",
            {{"records", {{{"id", "recAda00000000001"}, {"fields", {{"Age", 42}}}}}}});
  EXPECT_EQ(ada()["fields"]["Age"], 42);
  emu.Patch("/v0/meta/bases/appTestBase000001/tables/Clients/fields/fldAge00000000001",
            {{"name", "Years"}});
  EXPECT_EQ(ada()["fields"]["Years"], 42);
  emu.Delete("/v0/appTestBase000001/Registrations/recRegA000000001");  // unlinks Ada
  EXPECT_FALSE(ada()["fields"].contains("Registrations"));
  emu.Post("/__emulator/reset", json::object());
  EXPECT_EQ(ada()["fields"]["Age"], 36);
  Reply by_id = emu.Get(std::string(kClients) + "?maxRecords=1&returnFieldsByFieldId=true");
  EXPECT_EQ(by_id.body["records"][0]["fields"]["fldAge00000000001"], 36);
}

TEST(EmulatorGetRecordTest, ReturnsOneRecordOr403) {
  TestEmulator emu;
  Reply r = emu.Get(std::string(kClients) + "/recAda00000000001?");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["id"], "recAda00000000001");
  EXPECT_EQ(r.body["fields"]["Name"], "Ada");
  Reply by_id = emu.Get(std::string(kClients) + "/recAda00000000001?returnFieldsByFieldId=true");
  EXPECT_EQ(by_id.body["fields"]["fldName0000000001"], "Ada");
  Reply missing = emu.Get(std::string(kClients) + "/recMissing0000001");
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(missing.body["error"]["type"], "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND");
}

TEST(EmulatorGetRecordTest, MissingRecordCanBe404) {
  EmulatorOptions options = TestEmulator::DefaultOptions();
  options.missing_record_is_404 = true;
  TestEmulator emu(options);
  Reply missing = emu.Get(std::string(kClients) + "/recMissing0000001");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["error"]["type"], "MODEL_ID_NOT_FOUND");
}

}  // namespace
}  // namespace airpg::emulator
