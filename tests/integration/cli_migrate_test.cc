// The migration commands as a user runs them: `schema plan` from a Meta API
// file, then `migrate`, `verify` and `runs` against an in-process emulator
// serving emulator/samples/delta_analytics.json and a throwaway database.
#include <memory>

#include <gtest/gtest.h>

#include "airpg_process.h"
#include "emulator/emulator.h"
#include "pg/testing/test_cluster.h"

namespace airpg::testing {
namespace {

constexpr const char* kBase = "appDeltaAnalytic1";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(CliMigrateTest, HelpOnEveryCommand) {
  AirpgProcess airpg;
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"schema", "plan", "--help"},
                                             {"migrate", "--help"},
                                             {"verify", "--help"},
                                             {"rollback", "--help"},
                                             {"runs", "--help"}}) {
    ProcessOutput help = airpg.Run(args);
    EXPECT_EQ(help.exit_code, 0) << args.front();
    EXPECT_TRUE(Contains(help.out, "Usage:")) << help.out;
  }
}

TEST(CliMigrateTest, SchemaPlanFromFilePrintsDdl) {
  AirpgProcess airpg;
  ProcessOutput plan =
      airpg.Run({"schema", "plan", "--schema-file",
                 std::string(AIRPG_FIXTURES_DIR) + "/meta/base_schema_art_gallery_real.json",
                 "--schema", "gallery"});
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_TRUE(Contains(plan.out, "CREATE TABLE \"gallery\".")) << plan.out;
}

TEST(CliMigrateTest, MissingBaseIdExitsTwo) {
  AirpgProcess airpg;
  airpg.SetEnv("AIRPG_AIRTABLE_BASE_ID", std::nullopt);
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"migrate"}, {"verify"}, {"rollback"}, {"schema", "plan"}}) {
    ProcessOutput out = airpg.Run(args);
    EXPECT_EQ(out.exit_code, 2) << args.front();
    EXPECT_TRUE(Contains(out.err, "--base")) << out.err;
    EXPECT_EQ(Lines(out.err).size(), 1u) << out.err;
  }
}

TEST(CliMigrateTest, MigrateVerifyRunsAgainstTheEmulator) {
  emulator::EmulatorOptions options;
  options.data_path = std::string(AIRPG_EMULATOR_SAMPLES_DIR) + "/delta_analytics.json";
  options.rate_limits = false;
  auto emulator = emulator::Emulator::Start(options);
  ASSERT_TRUE(emulator.ok()) << emulator.status().ToString();
  auto db = pg::testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status().ToString();

  AirpgProcess airpg;
  airpg.SetEnv("DATABASE_URL", db->url());
  airpg.SetEnv("AIRTABLE_ENDPOINT_URL", (*emulator)->url());
  airpg.SetEnv("AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt);
  airpg.SetEnv("AIRTABLE_TOKEN", "patCliMigrateTest");

  ProcessOutput migrate = airpg.Run({"migrate", "--base", kBase});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  EXPECT_TRUE(Contains(migrate.out, "Total import time")) << migrate.out;
  EXPECT_TRUE(Contains(migrate.out, "verify:        clean")) << migrate.out;

  // The base id can come from the environment too.
  airpg.SetEnv("AIRPG_AIRTABLE_BASE_ID", kBase);
  ProcessOutput verify = airpg.Run({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, "verify: clean")) << verify.out;

  ProcessOutput runs = airpg.Run({"runs", "--output", "json"});
  EXPECT_EQ(runs.exit_code, 0) << runs.err;
  EXPECT_TRUE(Contains(runs.out, "\"status\": \"swapped\"")) << runs.out;
  ProcessOutput runs_text = airpg.Run({"runs"});
  EXPECT_EQ(runs_text.exit_code, 0) << runs_text.err;
  EXPECT_TRUE(Contains(runs_text.out, kBase)) << runs_text.out;
}

}  // namespace
}  // namespace airpg::testing
