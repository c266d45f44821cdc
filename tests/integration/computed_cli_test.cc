// `airpg schema plan` shows the computed-field views and names every
// computed field that stays Airtable-computed, with its reason (issue 18).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "airpg_process.h"

namespace airpg::testing {
namespace {

// The chained base's tables as a Meta API schema file.
std::string ChainSchemaFile() {
  std::ifstream in(AIRPG_COMPUTED_CHAIN);
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json data = nlohmann::json::parse(ss.str());
  nlohmann::json tables = data["bases"][0]["tables"];
  for (auto& t : tables) t.erase("records");
  // A formula the compiler refuses (no MOD in SQL).
  tables[0]["fields"].push_back(
      {{"id", "fldItemOdd0000001"},
       {"name", "Odd"},
       {"type", "formula"},
       {"options",
        {{"formula", "MOD({fldItemQty0000001}, 2)"},
         {"isValid", true},
         {"result", {{"type", "number"}, {"options", {{"precision", 0}}}}}}}});
  std::string path = (std::filesystem::temp_directory_path() /
                      ("computed_chain_schema_" + std::to_string(getpid()) + ".json"))
                         .string();
  std::ofstream(path) << nlohmann::json{{"tables", tables}}.dump();
  return path;
}

TEST(ComputedCliTest, SchemaPlanShowsTheViewsAndNamesWhatStaysInAirtable) {
  std::string file = ChainSchemaFile();
  AirpgProcess airpg;
  ProcessOutput plan = airpg.Run({"schema", "plan", "--schema-file", file, "--schema", "chain"});
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("CREATE VIEW \"chain\".\"orders_computed\""), std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("-- not computed in SQL: items.Odd (fldItemOdd0000001, formula): "),
            std::string::npos)
      << plan.out;
  // Airtable's API does not say whether a count keeps only some linked
  // records: the plan names each count, rollup and lookup computed without one.
  EXPECT_NE(plan.out.find("-- computed without a condition: orders.Item count "
                          "(fldOrderCount0001, count): "),
            std::string::npos)
      << plan.out;

  ProcessOutput as_json =
      airpg.Run({"schema", "plan", "--schema-file", file, "--schema", "chain", "--output", "json"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  nlohmann::json out = nlohmann::json::parse(as_json.out);
  ASSERT_EQ(out["not_computed"].size(), 1u) << out["not_computed"].dump();
  EXPECT_EQ(out["not_computed"][0]["field_id"], "fldItemOdd0000001");
  EXPECT_NE(out["not_computed"][0]["reason"].get<std::string>().find("MOD"), std::string::npos);
  EXPECT_EQ(out["not_computed"][0]["computed_on_write"], true);
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace airpg::testing
