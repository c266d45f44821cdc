// The emulator recomputes formula, rollup, lookup and count cells on every
// write, as Airtable does, and fills those a data file leaves empty (recompute.h), over
// a base with chains across tables (testdata/computed_chain.json): a formula
// over a lookup over a formula over a rollup over a formula.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "emulator/test_env.h"

namespace airpg::emulator {
namespace {

using nlohmann::json;

constexpr char kItems[] = "/v0/appChain000000001/Items";
constexpr char kOrders[] = "/v0/appChain000000001/Orders";
constexpr char kCustomers[] = "/v0/appChain000000001/Customers";

std::string ChainData() {
  std::ifstream in(AIRPG_EMULATOR_TESTDATA_DIR "/computed_chain.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RecomputeTest : public ::testing::Test {
 protected:
  static EmulatorOptions Options() {
    EmulatorOptions options = TestEmulator::DefaultOptions();
    options.data_json = ChainData();
    return options;
  }

  json Fields(const char* table, const std::string& record_id) {
    Reply reply = emu_.Get(std::string(table) + "/" + record_id);
    EXPECT_EQ(reply.status, 200) << reply.body.dump();
    return reply.body["fields"];
  }

  TestEmulator emu_{Options()};
};

TEST_F(RecomputeTest, ALoadedDataFileShowsComputedValues) {
  json apple = Fields(kItems, "recItem0000000001");
  EXPECT_EQ(apple["Line"], 6);
  EXPECT_EQ(apple["Unit"], 0.375);
  EXPECT_EQ(apple["Tag"], "APP-4");
  // Division by zero is an error value, as Airtable shows it.
  EXPECT_EQ(Fields(kItems, "recItem0000000003")["Unit"], json({{"error", "#ERROR!"}}));

  json order = Fields(kOrders, "recOrder000000001");
  EXPECT_EQ(order["Total"], 10.5);
  EXPECT_EQ(order["Item count"], 2);
  EXPECT_EQ(order["Item names"], json({"apple", "pear"}));
  EXPECT_EQ(order["Item list"], "apple; pear");
  EXPECT_EQ(order["Max qty"], 4);
  EXPECT_EQ(order["Label"], "A-1: 10.5 for 2");
  EXPECT_EQ(order["Big"], "big");
  json empty = Fields(kOrders, "recOrder000000003");
  EXPECT_EQ(empty["Total"], 0);
  EXPECT_EQ(empty["Item count"], 0);
  EXPECT_FALSE(empty.contains("Item names"));

  json acme = Fields(kCustomers, "recCust0000000001");
  EXPECT_EQ(acme["Order labels"], json({"A-1: 10.5 for 2", "A-2: 0 for 1"}));
  EXPECT_EQ(acme["Summary"], "Acme | A-1: 10.5 for 2 / A-2: 0 for 1");
  EXPECT_EQ(acme["Spend"], 10.5);
  EXPECT_EQ(acme["Double spend"], 21);
}

TEST_F(RecomputeTest, AnUpdateChangesDependentsAcrossTables) {
  Reply patched =
      emu_.Patch(std::string(kItems) + "/recItem0000000002", {{"fields", {{"Qty", 4}}}});
  ASSERT_EQ(patched.status, 200) << patched.body.dump();
  EXPECT_EQ(patched.body["fields"]["Line"], 9);
  EXPECT_EQ(Fields(kOrders, "recOrder000000001")["Total"], 15);
  EXPECT_EQ(Fields(kCustomers, "recCust0000000001")["Summary"],
            "Acme | A-1: 15 for 2 / A-2: 0 for 1");
  EXPECT_EQ(Fields(kCustomers, "recCust0000000001")["Double spend"], 30);
}

TEST_F(RecomputeTest, CreatingAndMovingLinksRecomputesBothSides) {
  Reply created = emu_.Post(
      kItems,
      {{"fields", {{"Name", "plum"}, {"Price", 5}, {"Qty", 1}, {"Order", {"recOrder000000003"}}}}});
  ASSERT_EQ(created.status, 200) << created.body.dump();
  std::string plum = created.body["id"];
  EXPECT_EQ(Fields(kOrders, "recOrder000000003")["Total"], 5);
  EXPECT_EQ(Fields(kOrders, "recOrder000000003")["Item names"], json({"plum"}));

  // Moving pear from A-1 to B-1: A-1 loses it, B-1 gains it.
  ASSERT_EQ(emu_.Patch(std::string(kItems) + "/recItem0000000002",
                       {{"fields", {{"Order", {"recOrder000000003"}}}}})
                .status,
            200);
  EXPECT_EQ(Fields(kOrders, "recOrder000000001")["Total"], 6);
  EXPECT_EQ(Fields(kOrders, "recOrder000000001")["Label"], "A-1: 6 for 1");
  EXPECT_EQ(Fields(kOrders, "recOrder000000003")["Total"], 9.5);

  // Linking B-1 to Bolt reaches Bolt's lookup and formula.
  ASSERT_EQ(emu_.Patch(std::string(kOrders) + "/recOrder000000003",
                       {{"fields", {{"Customer", {"recCust0000000002"}}}}})
                .status,
            200);
  EXPECT_EQ(Fields(kCustomers, "recCust0000000002")["Summary"], "Bolt | B-1: 9.5 for 2");
}

TEST_F(RecomputeTest, DeletingALinkedRecordRecomputesItsNeighbours) {
  ASSERT_EQ(emu_.Delete(std::string(kItems) + "/recItem0000000001").status, 200);
  json order = Fields(kOrders, "recOrder000000001");
  EXPECT_EQ(order["Total"], 4.5);
  EXPECT_EQ(order["Item count"], 1);
  EXPECT_EQ(Fields(kCustomers, "recCust0000000001")["Spend"], 4.5);
}

// Like link inverses, recomputed cells of other records are not reported
// (docs/emulator.md); the written record's own are.
TEST_F(RecomputeTest, WebhooksReportTheWrittenRecordsRecomputedCells) {
  Reply hook =
      emu_.Post("/v0/bases/appChain000000001/webhooks",
                {{"specification", {{"options", {{"filters", {{"dataTypes", {"tableData"}}}}}}}}});
  ASSERT_EQ(hook.status, 200) << hook.body.dump();
  std::string hook_id = hook.body["id"];
  ASSERT_EQ(
      emu_.Patch(std::string(kItems) + "/recItem0000000001", {{"fields", {{"Price", 2}}}}).status,
      200);
  Reply payloads = emu_.Get("/v0/bases/appChain000000001/webhooks/" + hook_id + "/payloads");
  ASSERT_EQ(payloads.body["payloads"].size(), 1u) << payloads.body.dump();
  const json& tables = payloads.body["payloads"][0]["changedTablesById"];
  EXPECT_EQ(tables["tblItems000000001"]["changedRecordsById"]["recItem0000000001"]["current"]
                  ["cellValuesByFieldId"]["fldItemLine000001"],
            8);
  EXPECT_FALSE(tables.contains("tblOrders00000001")) << tables.dump();
  EXPECT_FALSE(tables.contains("tblCustomers00001")) << tables.dump();
  EXPECT_EQ(Fields(kOrders, "recOrder000000001")["Total"], 12.5);
}

TEST(RecomputeLoadTest, StoredCellsOfADataFileAreKept) {
  EmulatorOptions options = TestEmulator::DefaultOptions();
  json data = json::parse(ChainData());
  // Airtable's own value, even one the evaluator would not give, is kept.
  data["bases"][0]["tables"][0]["records"][0]["fields"]["Line"] = 99;
  options.data_json = data.dump();
  TestEmulator emu(options);
  EXPECT_EQ(emu.Get(std::string(kItems) + "/recItem0000000001").body["fields"]["Line"], 99);
  EXPECT_EQ(emu.Get(std::string(kOrders) + "/recOrder000000001").body["fields"]["Total"], 103.5);
}

}  // namespace
}  // namespace airpg::emulator
