// One meaning per exit code (issue 15, docs/errors.md): each error case run
// through every command that can meet it, with the built airpg binary against
// an in-process emulator serving the Delta sample and a throwaway database in
// which the base is not migrated yet.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "airpg_process.h"
#include "emulator/emulator.h"
#include "pg/testing/test_cluster.h"

namespace airpg::testing {
namespace {

constexpr const char* kBase = "appDeltaAnalytic1";     // served, not migrated
constexpr const char* kUnknown = "appNoSuchBase0001";  // not served at all

struct Case {
  std::string what;
  std::vector<std::string> args;
  int exit_code;
  std::optional<std::string> database_url = std::nullopt;  // else the test database's
  std::optional<std::string> home = std::nullopt;          // AIRPG_HOME; else the harness's
};

// Runs each case and checks its exit code and that the last stderr line says why.
void RunCases(AirpgProcess& airpg, const std::string& url, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    airpg.SetEnv("DATABASE_URL", c.database_url.value_or(url));
    if (c.home) airpg.SetEnv("AIRPG_HOME", c.home);
    ProcessOutput out = airpg.Run(c.args);
    if (c.home) airpg.SetEnv("AIRPG_HOME", airpg.home().string());
    std::string command;
    for (const std::string& a : c.args) command += " " + a;
    EXPECT_EQ(out.exit_code, c.exit_code) << c.what << ": airpg" << command << "\n" << out.err;
    if (c.exit_code != 0 && c.args.front() != "doctor") {  // doctor reports on stdout
      // One line saying why, the last on stderr.
      std::vector<std::string> lines = Lines(out.err);
      ASSERT_FALSE(lines.empty()) << c.what << ": airpg" << command;
      EXPECT_EQ(lines.back().rfind("airpg: ", 0), 0u) << c.what << ": airpg" << command << "\n"
                                                      << out.err;
      // The database user ("airpg" here) is no secret: our own words stay readable.
      EXPECT_EQ(out.err.find("`***"), std::string::npos) << c.what << ": airpg" << command << "\n"
                                                         << out.err;
    }
  }
}

TEST(ExitCodesTest, EachErrorCaseExitsWithItsCodeInEveryCommand) {
  emulator::EmulatorOptions options;
  options.data_path = std::string(AIRPG_EMULATOR_SAMPLES_DIR) + "/delta_analytics.json";
  options.rate_limits = false;
  auto emulator = emulator::Emulator::Start(options);
  ASSERT_TRUE(emulator.ok()) << emulator.status().ToString();
  auto db = pg::testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const std::string url = db->url();
  const std::string bogus_sslmode =
      url + (url.find('?') == std::string::npos ? "?" : "&") + "sslmode=bogus";

  AirpgProcess airpg;
  airpg.SetEnv("AIRTABLE_ENDPOINT_URL", (*emulator)->url());
  airpg.SetEnv("AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt);
  airpg.SetEnv("AIRPG_AIRTABLE_BASE_ID", std::nullopt);
  airpg.SetEnv("AIRTABLE_TOKEN", "patExitCodesTest");

  const std::string u = kUnknown;
  std::vector<Case> cases = {
      // A base id the token cannot see: bad input.
      {"unknown base", {"schema", "plan", "--base", u}, 2},
      {"unknown base", {"schema", "dump", "--base", u}, 2},
      {"unknown base", {"migrate", "--base", u}, 2},
      {"unknown base", {"verify", "--base", u}, 2},
      {"unknown base", {"rollback", "--base", u}, 2},
      {"unknown base", {"sync", "--base", u, "--port", "0"}, 2},
      {"unknown base", {"status", "--base", u}, 2},
      {"unknown base", {"runs", "--base", u}, 2},
      {"unknown base", {"dlq", "list", "--base", u}, 2},
      {"unknown base", {"formula", "check", "1", "--base", u, "--table", "Clients"}, 2},
      // A base Airtable has but airpg has not migrated, in the commands that read the mirror.
      {"unmigrated base", {"verify", "--base", kBase}, 2},
      {"unmigrated base", {"rollback", "--base", kBase}, 2},
      {"unmigrated base", {"sync", "--base", kBase, "--port", "0"}, 2},
      {"unmigrated base", {"status", "--base", kBase}, 2},
      {"unmigrated base", {"runs", "--base", kBase}, 2},
      {"unmigrated base", {"dlq", "list", "--base", kBase}, 2},
      // --tables naming a table the base does not have.
      {"--tables Nope", {"schema", "plan", "--base", kBase, "--tables", "Nope"}, 2},
      {"--tables Nope", {"migrate", "--base", kBase, "--tables", "Nope"}, 2},
      // A schema that is not airpg's to use.
      {"--schema public", {"migrate", "--base", kBase, "--schema", "public"}, 2},
      {"--schema airpg", {"schema", "plan", "--base", kBase, "--schema", "airpg"}, 2},
      {"--schema airpg", {"migrate", "--base", kBase, "--schema", "airpg"}, 2},
      {"--schema pg_x", {"migrate", "--base", kBase, "--schema", "pg_x"}, 2},
      // A formula that does not parse, or does not type-check, is the bad input.
      {"formula syntax", {"formula", "check", "IF("}, 2},
      {"formula syntax", {"formula", "eval", "IF("}, 2},
      {"formula syntax", {"formula", "sql", "IF("}, 2},
      {"formula syntax", {"formula", "check", "1 +", "--base", kBase, "--table", "Clients"}, 2},
      {"formula types", {"formula", "check", "UPPER(1, 2, 3)"}, 2},
      {"formula types", {"formula", "check", "{Nope}", "--base", kBase, "--table", "Clients"}, 2},
      // Flags out of range.
      {"--port -1", {"sync", "--base", kBase, "--port", "-1"}, 2},
      {"--port 65536", {"sync", "--base", kBase, "--port", "65536"}, 2},
      {"--listen bogus", {"sync", "--base", kBase, "--listen", "bogus"}, 2},
      {"--status bogus", {"dlq", "list", "--status", "bogus"}, 2},
      {"unknown letter", {"dlq", "show", "999999"}, 2},
      {"unknown letter", {"dlq", "replay", "999999"}, 2},
      {"unknown letter", {"dlq", "drop", "999999"}, 2},
      {"unknown run", {"runs", "abandon", "999999"}, 2},
      {"unknown conflict", {"conflicts", "show", "999"}, 2},
      {"unknown route mode", {"route", "set", "T", "bogus"}, 2},
      // AIRPG_HOME must be an absolute path (a relative one moves with the working directory).
      {"AIRPG_HOME relative", {"db", "status"}, 2, std::nullopt, "relative/home"},
      {"AIRPG_HOME relative", {"runs"}, 2, std::nullopt, "relative/home"},
      {"AIRPG_HOME relative", {"migrate", "--base", kBase}, 2, std::nullopt, "relative/home"},
  };
  // DATABASE_URL with an option value libpq refuses: configuration, not an outage.
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"db", "status"},
                                             {"db", "url"},
                                             {"db", "psql", "--", "-c", "SELECT 1"},
                                             {"migrate", "--base", kBase},
                                             {"verify", "--base", kBase},
                                             {"rollback", "--base", kBase},
                                             {"sync", "--base", kBase, "--port", "0"},
                                             {"status", "--base", kBase},
                                             {"runs"},
                                             {"dlq", "list"}}) {
    cases.push_back({"sslmode=bogus", args, 2, bogus_sslmode});
  }
  // doctor reports every problem it finds and exits 1 (docs/errors.md).
  cases.push_back({"sslmode=bogus", {"doctor"}, 1, bogus_sslmode});
  // The same database used right: the commands succeed, so the codes above are the cases'.
  cases.push_back({"control", {"schema", "plan", "--base", kBase}, 0});
  cases.push_back({"control", {"runs"}, 0});
  cases.push_back({"control", {"dlq", "list", "--status", "dead"}, 0});

  RunCases(airpg, url, cases);
}

// The cases that need the base migrated: a run or table that is not there.
TEST(ExitCodesTest, MigratedBaseErrorCasesExitTwo) {
  emulator::EmulatorOptions options;
  options.data_path = std::string(AIRPG_EMULATOR_SAMPLES_DIR) + "/delta_analytics.json";
  options.rate_limits = false;
  auto emulator = emulator::Emulator::Start(options);
  ASSERT_TRUE(emulator.ok()) << emulator.status().ToString();
  auto db = pg::testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  // As a URI with a user and no password (postgresql://airpg@/db?host=…): the
  // user name "airpg" must not be masked in the messages that name the command.
  auto admin = pg::testing::AdminUrl();
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  std::string url = db->url();
  if (size_t at = admin->find("@/postgres?"); at != std::string::npos) {
    url = admin->substr(0, at) + "@/" + db->name() + admin->substr(at + 10);
  }

  AirpgProcess airpg;
  airpg.SetEnv("AIRTABLE_ENDPOINT_URL", (*emulator)->url());
  airpg.SetEnv("AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt);
  airpg.SetEnv("AIRPG_AIRTABLE_BASE_ID", std::nullopt);
  airpg.SetEnv("AIRTABLE_TOKEN", "patExitCodesTest");
  airpg.SetEnv("DATABASE_URL", url);
  ProcessOutput migrate = airpg.Run({"migrate", "--base", kBase, "--output", "json"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  auto summary = nlohmann::json::parse(migrate.out, nullptr, false);
  ASSERT_TRUE(summary.contains("run_id")) << migrate.out;
  const std::string live_run = std::to_string(summary["run_id"].get<int64_t>());

  RunCases(airpg, url,
           {
               {"unknown run", {"rollback", "--base", kBase, "--to", "999999"}, 2},
               // The live run's schema is in use, not a backup to put back.
               {"live run", {"rollback", "--base", kBase, "--to", live_run}, 2},
               {"unknown run", {"runs", "abandon", "999999"}, 2},
               {"unknown table", {"sync", "release-deletes", "Nope", "--base", kBase}, 2},
               {"unknown conflict", {"conflicts", "show", "999"}, 2},
               // An outbox change that never was: bad input, not "none was dead" (1).
               {"unknown change", {"dlq", "replay", "--outbox", "999999", "--base", kBase}, 2},
               {"unknown route mode", {"route", "set", "Clients", "bogus", "--base", kBase}, 2},
               {"unknown route table", {"route", "set", "Nope", "postgres", "--base", kBase}, 2},
               {"control", {"runs", "--base", kBase}, 0},
           });
}

}  // namespace
}  // namespace airpg::testing
