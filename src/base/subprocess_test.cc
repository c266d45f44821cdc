#include "base/subprocess.h"

#include <stdlib.h>

#include <gtest/gtest.h>

namespace airpg {
namespace {

TEST(SubprocessTest, CapturesOutputAndExitCode) {
  Result<ProcessOutput> r = RunProcess({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(SubprocessTest, FeedsStdinAndSetsEnvironment) {
  ProcessOptions options;
  options.stdin_data = "hello";
  options.env["AIRPG_SUBPROCESS_TEST"] = "42";
  options.env["HOME"] = std::nullopt;
  Result<ProcessOutput> r =
      RunProcess({"sh", "-c", "cat; echo \" $AIRPG_SUBPROCESS_TEST ${HOME-unset}\""}, options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "hello 42 unset\n");
}

// Issue 14: a child that must not see airpg's secrets starts from a clean
// environment: PATH and the locale, no token, no database password.
TEST(SubprocessTest, CleanEnvironmentKeepsNoSecrets) {
  ::setenv("AIRTABLE_TOKEN", "patSubprocessTest1.0123456789abcdef", 1);
  ::setenv("DATABASE_URL", "postgresql://u:Sekr1tPassword@db/x", 1);
  ::setenv("PGPASSWORD", "Sekr1tPassword", 1);
  ProcessOptions options;
  options.inherit_environment = false;
  options.env["AIRPG_SUBPROCESS_TEST"] = "kept";
  Result<ProcessOutput> clean = RunProcess({"env"}, options);
  Result<ProcessOutput> inherited = RunProcess({"env"});
  ::unsetenv("AIRTABLE_TOKEN");
  ::unsetenv("DATABASE_URL");
  ::unsetenv("PGPASSWORD");
  ASSERT_TRUE(clean.ok() && inherited.ok());
  EXPECT_NE(inherited->out.find("AIRTABLE_TOKEN="), std::string::npos);  // the control
  EXPECT_EQ(clean->out.find("AIRTABLE_TOKEN"), std::string::npos) << clean->out;
  EXPECT_EQ(clean->out.find("Sekr1t"), std::string::npos) << clean->out;
  EXPECT_NE(clean->out.find("PATH="), std::string::npos) << clean->out;
  EXPECT_NE(clean->out.find("AIRPG_SUBPROCESS_TEST=kept"), std::string::npos) << clean->out;
}

TEST(SubprocessTest, LargeOutputDoesNotDeadlock) {
  Result<ProcessOutput> r =
      RunProcess({"sh", "-c", "head -c 1000000 /dev/zero; head -c 500000 /dev/zero >&2"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out.size(), 1000000u);
  EXPECT_EQ(r->err.size(), 500000u);
}

TEST(SubprocessTest, MissingProgramIsAnError) {
  Result<ProcessOutput> r = RunProcess({"airpg-no-such-program-xyz"});
  EXPECT_FALSE(r.ok());
}

TEST(SubprocessTest, TimeoutKillsTheChild) {
  ProcessOptions options;
  options.timeout = std::chrono::milliseconds(200);
  Result<ProcessOutput> r = RunProcess({"sh", "-c", "while :; do :; done"}, options);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
}

TEST(SubprocessTest, EmptyStdinIsClosed) {
  Result<ProcessOutput> r = RunProcess({"cat"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, "");
}

TEST(SubprocessTest, ReportsTerminatingSignal) {
  Result<ProcessOutput> r = RunProcess({"sh", "-c", "kill -9 $$"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_EQ(r->term_signal, 9);
}

}  // namespace
}  // namespace airpg
