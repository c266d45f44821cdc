// Issue 14, "Secrets and files", as a user meets it: the built airpg binary
// run with distinctive secrets (a token, a DATABASE_URL password with a raw
// '%', an endpoint with a proxy's user info and key), every byte it prints
// searched for them; and `airpg schema plan` applied to a session with
// standard_conforming_strings=off.
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "airpg_process.h"
#include "emulator/emulator.h"
#include "pg/catalog.h"
#include "pg/connection.h"
#include "pg/testing/test_cluster.h"

namespace airpg::testing {
namespace {

using nlohmann::json;

constexpr const char* kToken = "patSecretsTest123.4f1c9e0b7a6d5c3e2f1a0b9c8d7e6f5a";
constexpr const char* kTokenTail = "4f1c9e0b7a6d5c3e2f1a0b9c8d7e6f5a";
constexpr const char* kDbPassword = "Pw%zzRaw-Secret9";
constexpr const char* kProxyUser = "proxy-user-77";
constexpr const char* kProxyPassword = "proxy-pass-88";
constexpr const char* kProxyKey = "query-key-99";

// Every secret of this file that must never be printed, and the pieces that
// would give one away.
const std::vector<std::string>& Secrets() {
  static const std::vector<std::string> secrets = {
      kToken, kTokenTail, kDbPassword, "zzRaw-Secret9", kProxyUser, kProxyPassword, kProxyKey};
  return secrets;
}

void ExpectNoSecret(const ProcessOutput& out, const std::string& what) {
  for (const std::string& secret : Secrets()) {
    EXPECT_EQ(out.out.find(secret), std::string::npos)
        << what << " stdout shows " << secret << ":\n"
        << out.out;
    EXPECT_EQ(out.err.find(secret), std::string::npos)
        << what << " stderr shows " << secret << ":\n"
        << out.err;
  }
}

std::string EndpointWithSecrets(const std::string& endpoint) {
  // http://host:port → http://user:pass@host:port?key=…
  std::string rest = endpoint.substr(std::string("http://").size());
  return std::string("http://") + kProxyUser + ":" + kProxyPassword + "@" + rest +
         "?key=" + kProxyKey;
}

TEST(SecretsTest, Issue14NoCommandPrintsASecret) {
  AirpgProcess airpg;
  airpg.SetEnv("AIRTABLE_TOKEN", kToken);
  airpg.SetEnv("AIRPG_LOG_LEVEL", "debug");
  airpg.SetEnv("AIRTABLE_ENDPOINT_URL", EndpointWithSecrets("http://127.0.0.1:1"));
  // A raw '%' is not valid percent-encoding: libpq quoted it back verbatim.
  airpg.SetEnv("DATABASE_URL", std::string("postgresql://app:") + kDbPassword + "@127.0.0.1:1/db");
  std::vector<std::vector<std::string>> commands = {
      {"doctor"},
      {"doctor", "--output", "json"},
      {"db", "status"},
      {"db", "url"},
      {"migrate", "--base", "appSecretsTest01"},
      {"verify", "--base", "appSecretsTest01"},
      {"sync", "--base", "appSecretsTest01"},
      // Reaches the endpoint, which refuses: the transport error names it (~40 s of retries).
      {"schema", "plan", "--base", "appSecretsTest01"},
      {"--help"},
      {"sync", "--help"}};
  for (const auto& args : commands) {
    ProcessOutput out = airpg.Run(args);
    ExpectNoSecret(out, args.front() + (args.size() > 1 ? " " + args[1] : ""));
  }
  // The DATABASE_URL error is still a clear one, with the way out.
  ProcessOutput status = airpg.Run({"db", "status"});
  EXPECT_EQ(status.exit_code, 2) << status.err;
  EXPECT_NE(status.err.find("%25"), std::string::npos) << status.err;
  ProcessOutput doctor = airpg.Run({"doctor"});
  EXPECT_NE(doctor.out.find("airtable-endpoint"), std::string::npos) << doctor.out;
  EXPECT_NE(doctor.out.find("127.0.0.1:1"), std::string::npos) << doctor.out;  // host stays
}

// The same with a reachable database and emulator: a whole migration at debug
// level, then doctor, prints the token nowhere.
TEST(SecretsTest, Issue14AMigrationAtDebugLevelPrintsNoSecret) {
  emulator::EmulatorOptions options;
  options.data_path = std::string(AIRPG_EMULATOR_SAMPLES_DIR) + "/delta_analytics.json";
  options.rate_limits = false;
  auto emulator = emulator::Emulator::Start(options);
  ASSERT_TRUE(emulator.ok()) << emulator.status().ToString();
  auto db = pg::testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  AirpgProcess airpg;
  airpg.SetEnv("AIRTABLE_TOKEN", kToken);
  airpg.SetEnv("AIRPG_LOG_LEVEL", "debug");
  airpg.SetEnv("DATABASE_URL", db->url());
  airpg.SetEnv("AIRTABLE_ENDPOINT_URL", (*emulator)->url());
  ProcessOutput migrate = airpg.Run({"migrate", "--base", "appDeltaAnalytic1"});
  EXPECT_EQ(migrate.exit_code, 0) << migrate.err;
  ExpectNoSecret(migrate, "migrate");
  ProcessOutput doctor = airpg.Run({"doctor", "--output", "json"});
  ExpectNoSecret(doctor, "doctor");
}

// Issue 14: `schema plan` output applied by psql on a session with
// standard_conforming_strings=off. A description with backslashes, quotes and
// $$ used to end the COMMENT literal and run its own SQL.
TEST(SecretsTest, Issue14SchemaPlanIsSafeWithoutStandardConformingStrings) {
  const std::string description =
      "ends here \\'; CREATE TABLE public.pwned (x int); -- $$ \\\\ '' \\n $tag$ done";
  json schema = {{"tables",
                  {{{"id", "tblCrafted0000001"},
                    {"name", "Crafted"},
                    {"primaryFieldId", "fldCraftedName001"},
                    {"fields",
                     {{{"id", "fldCraftedName001"}, {"name", "Name"}, {"type", "singleLineText"}},
                      {{"id", "fldCraftedNote001"},
                       {"name", "Note"},
                       {"type", "multilineText"},
                       {"description", description}}}}}}}};
  AirpgProcess airpg;
  std::string file = (airpg.home() / "schema.json").string();
  std::ofstream(file) << schema.dump();
  ProcessOutput plan = airpg.Run({"schema", "plan", "--schema-file", file, "--schema", "crafted"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;

  auto db = pg::testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto conn = pg::Connection::Open(db->url());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ASSERT_TRUE(pg::EnsureCatalog(*conn).ok());  // the plan's audit triggers call airpg's
  ASSERT_TRUE(conn->Run("SET standard_conforming_strings = off").ok());
  ASSERT_TRUE(conn->Run("SET escape_string_warning = off").ok());
  Status applied = conn->RunScript(plan.out);
  ASSERT_TRUE(applied.ok()) << applied.ToString() << "\n" << plan.out;
  auto pwned = conn->Exec("SELECT to_regclass('public.pwned') IS NULL");
  ASSERT_TRUE(pwned.ok());
  EXPECT_EQ(pwned->Get(0, 0), "t") << "the description ran SQL:\n" << plan.out;
  auto comment = conn->Exec(
      "SELECT col_description('crafted.crafted'::regclass, a.attnum) FROM pg_attribute a "
      "WHERE a.attrelid = 'crafted.crafted'::regclass AND a.attname = 'note'");
  ASSERT_TRUE(comment.ok()) << comment.status().ToString();
  ASSERT_EQ(comment->size(), 1);
  std::string text(comment->Get(0, 0));
  EXPECT_NE(text.find(": " + description), std::string::npos) << text;
  EXPECT_EQ(text.substr(text.size() - description.size()), description) << text;
}

}  // namespace
}  // namespace airpg::testing
