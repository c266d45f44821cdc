// `airpg doctor` online, and what every command says when Airtable refuses
// the token or cannot be reached, as a user meets it: the built binary
// against an in-process emulator (which accepts one token), a stand-in
// server for the token scopes the emulator does not model, and a port where
// nothing listens.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "airpg_process.h"
#include "child_process.h"
#include "emulator/emulator.h"
#include "http/server.h"
#include "pg/testing/test_cluster.h"
#include "wait_for.h"

namespace airpg::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBase = "appDeltaAnalytic1";
constexpr const char* kGoodToken = "patDoctorGood.0123456789abcdef";
constexpr const char* kBadToken = "patDoctorBad.fedcba9876543210";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The doctor line of check `name` ("" when there is none).
std::string CheckLine(const std::string& out, const std::string& name) {
  for (const std::string& line : Lines(out)) {
    if (line.size() > 6 && line.substr(6, name.size() + 1) == name + " ") return line;
  }
  return "";
}

class CliDoctorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator::EmulatorOptions options;
    options.data_path = std::string(AIRPG_EMULATOR_SAMPLES_DIR) + "/delta_analytics.json";
    options.rate_limits = false;
    options.tokens = {kGoodToken};
    auto started = emulator::Emulator::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    emulator_ = std::move(started).value();
    auto admin = pg::testing::AdminUrl();
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    airpg_.SetEnv("DATABASE_URL", *admin);
    airpg_.SetEnv("AIRTABLE_ENDPOINT_URL", emulator_->url());
    airpg_.SetEnv("AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt);
    airpg_.SetEnv("AIRPG_AIRTABLE_BASE_ID", kBase);
    airpg_.SetEnv("AIRTABLE_TOKEN", kGoodToken);
  }

  AirpgProcess airpg_;
  std::unique_ptr<emulator::Emulator> emulator_;
};

TEST_F(CliDoctorTest, AcceptedTokenReadableBaseAndScopes) {
  ProcessOutput doctor = airpg_.Run({"doctor"});
  EXPECT_EQ(doctor.exit_code, 0) << doctor.out << doctor.err;
  for (const char* name : {"airtable-endpoint", "token-accepted", "scope-schema", "airtable-base",
                           "scope-records", "scope-webhooks", "home", "postgres"}) {
    std::string line = CheckLine(doctor.out, name);
    EXPECT_EQ(line.rfind("ok", 0), 0u) << name << ": " << doctor.out;
  }
  EXPECT_TRUE(Contains(CheckLine(doctor.out, "token-accepted"), "usrDeltaAdmin0001"));
  EXPECT_FALSE(Contains(doctor.out + doctor.err, "DoctorGood"));
  // --offline asks nothing: no online line.
  ProcessOutput offline = airpg_.Run({"doctor", "--offline"});
  EXPECT_EQ(offline.exit_code, 0) << offline.out;
  EXPECT_EQ(CheckLine(offline.out, "token-accepted"), "") << offline.out;
}

TEST_F(CliDoctorTest, UnreadableBaseFailsWithOneFixLine) {
  ProcessOutput doctor = airpg_.Run({"doctor", "--base", "appNoSuchBase0001", "--output", "json"});
  EXPECT_EQ(doctor.exit_code, 1) << doctor.out;
  EXPECT_TRUE(Contains(doctor.out, "\"name\": \"airtable-base\"")) << doctor.out;
  EXPECT_TRUE(Contains(doctor.out, "airpg bases")) << doctor.out;
}

// A 401 anywhere says that AIRTABLE_TOKEN was refused (exit 4 everywhere).
TEST_F(CliDoctorTest, RefusedTokenIsNamedByEveryCommand) {
  airpg_.SetEnv("AIRTABLE_TOKEN", kBadToken);
  ProcessOutput doctor = airpg_.Run({"doctor"});
  EXPECT_EQ(doctor.exit_code, 1);
  std::string line = CheckLine(doctor.out, "token-accepted");
  EXPECT_EQ(line.rfind("FAIL", 0), 0u) << doctor.out;
  EXPECT_TRUE(Contains(line, "AIRTABLE_TOKEN")) << line;
  EXPECT_TRUE(Contains(line, "fix:")) << line;
  EXPECT_EQ(CheckLine(doctor.out, "airtable-base"), "") << "nothing more to learn without a token";
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"bases"}, {"schema", "dump"}, {"schema", "plan"}, {"migrate"}}) {
    ProcessOutput out = airpg_.Run(args);
    EXPECT_EQ(out.exit_code, 4) << args[0] << ": " << out.err;
    EXPECT_TRUE(Contains(out.err, "refused the token in AIRTABLE_TOKEN")) << args[0] << out.err;
    EXPECT_FALSE(Contains(out.out + out.err, "DoctorBad")) << args[0];
  }
}

// Retries against an unreachable Airtable are announced at the first retry,
// naming the endpoint; doctor does not retry at all.
TEST_F(CliDoctorTest, UnreachableAirtableIsSaidAtOnce) {
  const std::string nowhere = "http://127.0.0.1:1";
  airpg_.SetEnv("AIRTABLE_ENDPOINT_URL", nowhere);
  ProcessOutput doctor = airpg_.Run({"doctor"});
  // One attempt, no retries: the client's retry warning never appears.
  EXPECT_FALSE(Contains(doctor.err, "retrying")) << doctor.err;
  EXPECT_EQ(doctor.exit_code, 1);
  std::string line = CheckLine(doctor.out, "airtable-endpoint");
  EXPECT_EQ(line.rfind("FAIL", 0), 0u) << doctor.out;
  EXPECT_TRUE(Contains(line, nowhere)) << line;

  std::unique_ptr<ChildProcess> bases = airpg_.Start({"bases"}, "bases");
  ASSERT_NE(bases, nullptr);
  EXPECT_TRUE(WaitFor(
      [&] {
        std::string err = bases->Stderr();
        return Contains(err, nowhere) && Contains(err, "retrying");
      },
      std::chrono::seconds(10)))
      << bases->Stderr();
  EXPECT_FALSE(bases->Exited()) << "the warning comes before the retries run out";
}

// The emulator does not model scopes: a stand-in answers whoami with an
// OAuth token's scope list, or refuses a personal access token's reads.
TEST_F(CliDoctorTest, MissingScopesAreNamedWithTheirFix) {
  std::atomic<bool> oauth = true;
  http::Server server;
  ASSERT_TRUE(server
                  .Start({},
                         [&](const http::Request& request) {
                           http::Response response;
                           const std::string& t = request.target;
                           if (t == "/v0/meta/whoami") {
                             response.body = oauth ? R"({"id":"usrScopes00000001",)"
                                                     R"("scopes":["data.records:read"]})"
                                                   : R"({"id":"usrScopes00000001"})";
                           } else if (t.rfind("/v0/meta/bases/" + std::string(kBase), 0) == 0) {
                             response.body = R"({"tables":[{"id":"tblOnly0000000001","name":"T",)"
                                             R"("primaryFieldId":"fldName0000000001","fields":[)"
                                             R"({"id":"fldName0000000001","name":"Name",)"
                                             R"("type":"singleLineText"}],"views":[]}]})";
                           } else if (t.rfind("/v0/meta/bases", 0) == 0) {
                             response.body = R"({"bases":[]})";
                           } else {
                             response.status = 403;
                             response.body =
                                 R"({"error":{"type":"INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",)"
                                 R"("message":"Invalid permissions"}})";
                           }
                           return response;
                         })
                  .ok());
  airpg_.SetEnv("AIRTABLE_ENDPOINT_URL", "http://127.0.0.1:" + std::to_string(server.port()));

  ProcessOutput listed = airpg_.Run({"doctor"});
  EXPECT_EQ(listed.exit_code, 1) << listed.out;
  EXPECT_TRUE(Contains(listed.out, "FAIL  airtable-scopes   the token lacks schema.bases:read"))
      << listed.out;
  EXPECT_TRUE(Contains(listed.out, "warn  airtable-scopes   the token lacks webhook:manage"))
      << listed.out;
  EXPECT_FALSE(Contains(listed.out, "lacks data.records:read")) << listed.out;

  oauth = false;
  ProcessOutput probed = airpg_.Run({"doctor"});
  EXPECT_EQ(probed.exit_code, 1) << probed.out;
  std::string records = CheckLine(probed.out, "scope-records");
  EXPECT_EQ(records.rfind("FAIL", 0), 0u) << probed.out;
  EXPECT_TRUE(Contains(records, "fix: add the scope data.records:read")) << records;
  std::string hooks = CheckLine(probed.out, "scope-webhooks");
  EXPECT_EQ(hooks.rfind("warn", 0), 0u) << probed.out;
  EXPECT_TRUE(Contains(hooks, "webhook:manage")) << hooks;
  server.Stop();
}

// The data directory as `db start` will use it; an empty or relative
// AIRPG_HOME is refused with exit 2.
TEST_F(CliDoctorTest, HomeIsCheckedTheWayDbStartUsesIt) {
  airpg_.SetEnv("DATABASE_URL", std::nullopt);
  for (const char* bad : {"", "relative/home"}) {
    airpg_.SetEnv("AIRPG_HOME", bad);
    ProcessOutput status = airpg_.Run({"db", "status"});
    EXPECT_EQ(status.exit_code, 2) << bad;
    EXPECT_TRUE(Contains(status.err, "AIRPG_HOME")) << status.err;
  }

  fs::path file = airpg_.home() / "a-file";
  { std::ofstream(file) << "x"; }
  airpg_.SetEnv("AIRPG_HOME", file.string());
  ProcessOutput not_dir = airpg_.Run({"doctor", "--offline"});
  EXPECT_EQ(not_dir.exit_code, 1);
  EXPECT_TRUE(Contains(CheckLine(not_dir.out, "home"), "not a directory")) << not_dir.out;

  // A home below a directory only root may enter: the postgres user that runs
  // the server as root could not reach it.
  fs::path closed = airpg_.home() / "closed";
  fs::create_directories(closed);
  ASSERT_EQ(::chmod(closed.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(airpg_.home().c_str(), 0755), 0);
  airpg_.SetEnv("AIRPG_HOME", (closed / "home").string());
  ProcessOutput doctor = airpg_.Run({"doctor", "--offline"});
  std::string reach = CheckLine(doctor.out, "home-postgres");
  if (::geteuid() == 0) {
    EXPECT_EQ(reach.rfind("FAIL", 0), 0u) << doctor.out;
    EXPECT_TRUE(Contains(reach, closed.string())) << reach;
  } else {
    EXPECT_EQ(reach, "") << "the server runs as airpg's own user";
  }
  EXPECT_TRUE(Contains(CheckLine(doctor.out, "home-socket"), "socket")) << doctor.out;

  // A path too long for a socket: the socket goes to /tmp, as db start does it.
  fs::path deep = airpg_.home() / std::string(100, 'd');
  airpg_.SetEnv("AIRPG_HOME", deep.string());
  ProcessOutput long_path = airpg_.Run({"doctor", "--offline"});
  EXPECT_TRUE(Contains(CheckLine(long_path.out, "home-socket"), "/tmp")) << long_path.out;
}

}  // namespace
}  // namespace airpg::testing
