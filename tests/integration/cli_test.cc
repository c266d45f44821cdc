// The airpg binary as a user runs it: exit codes, one-line errors, no secret
// in any output, the embedded cluster's lifecycle including SIGKILL recovery.
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include <gtest/gtest.h>

#include "airpg_process.h"
#include "pg/testing/postmaster.h"
#include "pg/testing/test_cluster.h"

namespace airpg::testing {
namespace {

constexpr const char* kPassword = "Pa55w0rd-must-not-leak";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(CliTest, VersionAndHelpOnEveryCommand) {
  AirpgProcess airpg;
  ProcessOutput version = airpg.Run({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(Contains(version.out, "airpg 0.")) << version.out;
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"db", "--help"},
                                             {"db", "start", "--help"},
                                             {"db", "stop", "--help"},
                                             {"db", "status", "--help"},
                                             {"db", "url", "--help"},
                                             {"db", "psql", "--help"},
                                             {"doctor", "--help"}}) {
    ProcessOutput help = airpg.Run(args);
    EXPECT_EQ(help.exit_code, 0) << args.front();
    EXPECT_TRUE(Contains(help.out, "Usage:")) << help.out;
  }
}

TEST(CliTest, BadUsageExitsTwo) {
  AirpgProcess airpg;
  EXPECT_EQ(airpg.Run({}).exit_code, 2);
  EXPECT_EQ(airpg.Run({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(airpg.Run({"db", "status", "--output", "xml"}).exit_code, 2);
}

TEST(CliTest, MalformedDatabaseUrlIsOneClearLineWithoutThePassword) {
  AirpgProcess airpg;
  airpg.SetEnv("DATABASE_URL", std::string("postgresql://app:") + kPassword + "@db:port/prod");
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"db", "status"}, {"db", "url"}, {"db", "psql"}}) {
    ProcessOutput out = airpg.Run(args);
    EXPECT_EQ(out.exit_code, 2) << args[1];
    EXPECT_EQ(out.out, "");
    ASSERT_EQ(Lines(out.err).size(), 1u) << out.err;
    EXPECT_TRUE(Contains(out.err, "DATABASE_URL")) << out.err;
    EXPECT_FALSE(Contains(out.err, kPassword));
  }
  ProcessOutput doctor = airpg.Run({"doctor"});
  EXPECT_EQ(doctor.exit_code, 1);
  EXPECT_FALSE(Contains(doctor.out + doctor.err, kPassword));
}

TEST(CliTest, UnreachableDatabaseFailsWithoutLeakingThePassword) {
  AirpgProcess airpg;
  airpg.SetEnv("DATABASE_URL", std::string("postgresql://app:") + kPassword +
                                   "@127.0.0.1:1/prod?connect_timeout=3");
  airpg.SetEnv("AIRPG_LOG_LEVEL", "debug");
  for (const char* format : {"text", "json"}) {
    ProcessOutput doctor = airpg.Run({"--log-format", format, "doctor"});
    EXPECT_EQ(doctor.exit_code, 1);
    std::vector<std::string> failures;
    for (const std::string& line : Lines(doctor.out)) {
      if (line.rfind("FAIL", 0) == 0) failures.push_back(line);
    }
    ASSERT_EQ(failures.size(), 1u) << doctor.out;
    EXPECT_TRUE(Contains(failures[0], "postgres")) << failures[0];
    EXPECT_TRUE(Contains(failures[0], "fix:")) << failures[0];
    EXPECT_FALSE(Contains(doctor.out + doctor.err, kPassword)) << doctor.out << doctor.err;
  }
  ProcessOutput status = airpg.Run({"db", "status", "--output", "json"});
  EXPECT_EQ(status.exit_code, 3);
  EXPECT_TRUE(Contains(status.out, "\"unreachable\"")) << status.out;
  EXPECT_FALSE(Contains(status.out + status.err, kPassword));
  ProcessOutput url = airpg.Run({"db", "url"});
  EXPECT_EQ(url.exit_code, 0);
  EXPECT_FALSE(Contains(url.out + url.err, kPassword)) << url.out;
}

TEST(CliTest, DoctorNeverPrintsTheToken) {
  AirpgProcess airpg;
  const std::string token = "patDoctorTest0001." + std::string(64, 'f');
  airpg.SetEnv("AIRTABLE_TOKEN", token);
  auto admin = pg::testing::AdminUrl();
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  airpg.SetEnv("DATABASE_URL", *admin);
  // Offline: Airtable is not reachable from the test (cli_doctor_test asks the emulator).
  ProcessOutput doctor =
      airpg.Run({"--log-level", "debug", "doctor", "--offline", "--output", "json"});
  EXPECT_EQ(doctor.exit_code, 0) << doctor.out << doctor.err;
  EXPECT_TRUE(Contains(doctor.out, "\"ok\": true")) << doctor.out;
  EXPECT_TRUE(Contains(doctor.out, "AIRTABLE_TOKEN is set")) << doctor.out;
  EXPECT_FALSE(Contains(doctor.out + doctor.err, "DoctorTest0001"));
}

TEST(CliTest, ConfigErrorsExitTwoAndNameTheKey) {
  AirpgProcess airpg;
  std::filesystem::path file = airpg.home() / "airpg.yaml";
  std::ofstream(file) << "log:\n  levle: debug\n";
  ProcessOutput out = airpg.Run({"--config", file.string(), "db", "status"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_TRUE(Contains(out.err, "log.levle")) << out.err;
  ProcessOutput doctor = airpg.Run({"--config", file.string(), "doctor"});
  EXPECT_EQ(doctor.exit_code, 1);
  EXPECT_TRUE(Contains(doctor.out, "log.levle")) << doctor.out;
}

TEST(CliTest, EmbeddedClusterLifecycleAndSigkillRecovery) {
  AirpgProcess airpg;
  ProcessOutput stopped = airpg.Run({"db", "status"});
  EXPECT_EQ(stopped.exit_code, 3);
  EXPECT_TRUE(Contains(stopped.out, "not initialised")) << stopped.out;

  ProcessOutput start = airpg.Run({"db", "start"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  EXPECT_EQ(airpg.Run({"db", "start"}).exit_code, 0);  // idempotent
  ProcessOutput status = airpg.Run({"db", "status", "--output", "json"});
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_TRUE(Contains(status.out, "\"running\"")) << status.out;

  ProcessOutput psql = airpg.Run({"db", "psql", "--", "-Atc", "SELECT 40 + 2"});
  EXPECT_EQ(psql.exit_code, 0) << psql.err;
  EXPECT_EQ(psql.out, "42\n");
  // psql gets the connection, never the Airtable token (a shell escape would show it).
  airpg.SetEnv("AIRTABLE_TOKEN", "patPsqlMustNotSee.0123456789");
  ProcessOutput psql_env =
      airpg.Run({"db", "psql", "--", "-Atc", "\\! printenv AIRTABLE_TOKEN; echo end"});
  EXPECT_EQ(psql_env.exit_code, 0) << psql_env.err;
  EXPECT_EQ(psql_env.out, "end\n");

  pid_t pid = pg::testing::PostmasterPid(airpg.home() / "pg");
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(pg::testing::WaitUntilGone(pid, std::chrono::seconds(10)));
  EXPECT_EQ(airpg.Run({"db", "status"}).exit_code, 3);

  ProcessOutput restart = airpg.Run({"db", "start"});
  ASSERT_EQ(restart.exit_code, 0) << restart.out << restart.err;
  EXPECT_EQ(airpg.Run({"db", "status"}).exit_code, 0);
  ProcessOutput doctor = airpg.Run({"doctor", "--offline"});  // no Airtable from tests
  EXPECT_EQ(doctor.exit_code, 0) << doctor.out;

  ProcessOutput stop = airpg.Run({"db", "stop"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_EQ(airpg.Run({"db", "status"}).exit_code, 3);
}

// As root the other tests exercise the `postgres`-user path; this one runs
// airpg as an unprivileged user (nobody) too. As a normal user every test
// already takes that path, and this one repeats it directly.
TEST(CliTest, EmbeddedClusterWorksAsANormalUser) {
  namespace fs = std::filesystem;
  std::string pattern = (fs::temp_directory_path() / "airpg-user-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  fs::path dir = pattern;
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  // A copy of the binary the other user can execute wherever the build tree lives.
  fs::path binary = dir / "airpg";
  fs::copy_file(AIRPG_BINARY, binary);
  fs::permissions(binary, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec |
                              fs::perms::group_read | fs::perms::others_read);
  fs::path home = dir / "home";
  std::vector<std::string> prefix;
  if (::geteuid() == 0) {
    fs::create_directory(home);
    const passwd* nobody = ::getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    ASSERT_EQ(::chown(home.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
    prefix = {"runuser", "-u", "nobody", "--"};
  }
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = prefix;
    argv.insert(argv.end(),
                {"env", "-u", "DATABASE_URL", "AIRPG_HOME=" + home.string(), binary.string()});
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessOptions options;
    options.timeout = std::chrono::seconds(120);
    Result<ProcessOutput> out = RunProcess(argv, options);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : ProcessOutput{};
  };
  ProcessOutput start = run({"db", "start"});
  EXPECT_EQ(start.exit_code, 0) << start.out << start.err;
  ProcessOutput psql = run({"db", "psql", "--", "-Atc", "SELECT current_user"});
  EXPECT_EQ(psql.exit_code, 0) << psql.err;
  EXPECT_EQ(psql.out, "airpg\n");
  EXPECT_EQ(run({"db", "stop"}).exit_code, 0);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace airpg::testing
