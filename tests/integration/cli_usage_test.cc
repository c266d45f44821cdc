// Bad usage told as such, before any database is opened (the answer does not
// depend on whether one can be reached): `airpg token create` with an unknown
// scope or a base id not shaped like one (it was exit 3), and an id argument
// that is not a number (it was CLI11's "Could not convert").
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "airpg_process.h"

namespace airpg::testing {
namespace {

TEST(CliUsageTest, BadScopesAndBasesAreUsageBeforeAnyDatabase) {
  AirpgProcess airpg;
  // Nothing listens there: opening the database would fail (exit 3).
  airpg.SetEnv("DATABASE_URL", "postgresql://127.0.0.1:1/nowhere?connect_timeout=2");
  ProcessOutput scope = airpg.Run({"token", "create", "x", "--scopes", "data.records:read,bogus"});
  EXPECT_EQ(scope.exit_code, 2) << scope.err;
  EXPECT_NE(scope.err.find("bogus"), std::string::npos) << scope.err;
  ProcessOutput base = airpg.Run({"token", "create", "x", "--bases", "notabase"});
  EXPECT_EQ(base.exit_code, 2) << base.err;
  EXPECT_NE(base.err.find("notabase"), std::string::npos) << base.err;
  // Well-formed, it goes on to the database (which is not there).
  ProcessOutput good = airpg.Run({"token", "create", "x", "--bases", "appConform0000001"});
  EXPECT_EQ(good.exit_code, 3) << good.err;
}

TEST(CliUsageTest, AnIdThatIsNotANumberIsToldInWords) {
  AirpgProcess airpg;
  airpg.SetEnv("DATABASE_URL", "postgresql://127.0.0.1:1/nowhere?connect_timeout=2");
  for (auto [args, what] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"conflicts", "show", "abc"}, "conflict"},
           {{"conflicts", "resolve", "abc", "--take", "airtable"}, "conflict"},
           {{"dlq", "replay", "abc"}, "dead letter"},
           {{"dlq", "show", "12", "x1"}, "dead letter"},
       }) {
    ProcessOutput run = airpg.Run(args);
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find("is not a " + what + " id"), std::string::npos) << run.err;
    EXPECT_EQ(run.err.find("Could not convert"), std::string::npos) << run.err;
  }
}

}  // namespace
}  // namespace airpg::testing
