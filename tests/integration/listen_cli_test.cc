// The listening port of `airpg sync` and of the airtable-emulator binary as
// a user meets it: --port and --listen are checked (exit 2), a port already
// in use is refused with a clear line (exit 3) instead of being shared, and
// the listen message names the address actually bound.
#include <signal.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "airpg_process.h"
#include "base/subprocess.h"
#include "emulator/emulator.h"
#include "emulator/generator.h"
#include "http/server.h"
#include "pg/testing/pg_test.h"
#include "wait_for.h"

namespace airpg::testing {
namespace {

using namespace std::chrono_literals;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

ProcessOutput RunEmulator(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {AIRPG_EMULATOR_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options;
  options.timeout = 30s;
  auto out = RunProcess(argv, options);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : ProcessOutput{};
}

TEST(ListenCliTest, SyncChecksPortAndListenAddress) {
  AirpgProcess airpg;
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"sync", "--port", "70000"},
                                             {"sync", "--port", "-1"},
                                             {"sync", "--listen", "example.org"},
                                             {"sync", "--listen", "127.0.0.1:80"}}) {
    ProcessOutput out = airpg.Run(args);
    EXPECT_EQ(out.exit_code, 2) << args[2] << ": " << out.err;
    EXPECT_TRUE(Contains(out.err, "--listen/--port")) << out.err;
  }
}

TEST(ListenCliTest, EmulatorChecksItsPortAndRefusesOneInUse) {
  for (const char* port : {"70000", "-5", "80x", ""}) {
    ProcessOutput out = RunEmulator({"--port", port});
    EXPECT_EQ(out.exit_code, 2) << port << ": " << out.err;
  }
  http::Server taken;
  ASSERT_TRUE(taken.Start({}, [](const http::Request&) { return http::Response{}; }).ok());
  ProcessOutput out = RunEmulator({"--port", std::to_string(taken.port())});
  EXPECT_EQ(out.exit_code, 3) << out.err;
  EXPECT_TRUE(Contains(out.err, "already in use")) << out.err;
}

class ListenSyncTest : public pg::testing::PgTest {};

TEST_F(ListenSyncTest, SyncRefusesAPortInUseAndNamesTheBoundAddress) {
  nlohmann::json data = emulator::GenerateBase(1, 3, 7);
  std::string base_id = data["bases"][0]["id"];
  emulator::EmulatorOptions options;
  options.data_json = data.dump();
  options.rate_limits = false;
  auto emulator = emulator::Emulator::Start(options);
  ASSERT_TRUE(emulator.ok()) << emulator.status().ToString();
  AirpgProcess airpg;
  airpg.SetEnv("DATABASE_URL", url());
  airpg.SetEnv("AIRTABLE_ENDPOINT_URL", (*emulator)->url());
  airpg.SetEnv("AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt);
  airpg.SetEnv("AIRTABLE_TOKEN", "patListenTest");
  airpg.SetEnv("AIRPG_AIRTABLE_BASE_ID", base_id);
  ProcessOutput migrate = airpg.Run({"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;

  http::Server taken;
  ASSERT_TRUE(taken.Start({}, [](const http::Request&) { return http::Response{}; }).ok());
  ProcessOutput refused =
      airpg.Run({"sync", "--loopback-pings", "--port", std::to_string(taken.port())});
  EXPECT_EQ(refused.exit_code, 3) << refused.err;
  EXPECT_TRUE(Contains(refused.err, "already in use")) << refused.err;

  // Not 127.0.0.1: the message names the address bound, and the port chosen.
  auto sync =
      airpg.Start({"sync", "--loopback-pings", "--listen", "0.0.0.0", "--port", "0"}, "sync");
  ASSERT_NE(sync, nullptr);
  std::string prefix = "airpg sync: listening on 0.0.0.0:";
  ASSERT_TRUE(WaitFor([&] { return Contains(sync->Stderr(), prefix); }, 60s)) << sync->Stderr();
  std::string err = sync->Stderr();
  int port = std::atoi(err.c_str() + err.find(prefix) + prefix.size());
  EXPECT_GT(port, 0);
  sync->Signal(SIGTERM);
  auto out = sync->Wait(60s);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->exit_code, 0) << out->err;
}

}  // namespace
}  // namespace airpg::testing
