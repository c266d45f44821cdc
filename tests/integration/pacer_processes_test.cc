// Two processes, one Airtable base: each runs airpg's client and pacer
// (airpg-test-pacer-client) against the emulator with Airtable's limits on,
// as `airpg sync` and `airpg verify` do side by side. With the grant ledger
// they share, the emulator answers no 429: the limit holds across processes.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "emulator/emulator.h"
#include "emulator/generator.h"
#include "http/client.h"

namespace airpg {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Each process alone would send its first 5 at once; together, unpaced, the
// base would get 10 inside a second and answer 429.
constexpr int kRequestsEach = 8;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "airpg-pacer-processes-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(PacerProcessesTest, TwoProcessesReadingOneBaseMeetNo429) {
  json data = emulator::GenerateBase(1, 50, 7);
  std::string base_id = data["bases"][0]["id"];
  emulator::EmulatorOptions options;
  options.data_json = data.dump();
  options.rate_limits = true;    // Airtable's: 5/s per base, 50/s per token
  options.penalty_millis = 300;  // a pacing bug shows as a count, not a 30 s stall
  auto emulator = emulator::Emulator::Start(options);
  ASSERT_TRUE(emulator.ok()) << emulator.status().ToString();

  TempDir dir;
  fs::path ledger = dir.path() / "run" / "airtable-pacer";  // as under AIRPG_HOME
  std::vector<std::unique_ptr<testing::ChildProcess>> clients;
  for (int i = 0; i < 2; ++i) {
    auto child = testing::ChildProcess::Start({AIRPG_PACER_CLIENT, (*emulator)->url(), base_id,
                                               ledger.string(), std::to_string(kRequestsEach)},
                                              {}, dir.path() / ("client" + std::to_string(i)));
    ASSERT_TRUE(child.ok()) << child.status().ToString();
    clients.push_back(std::move(child).value());
  }
  for (auto& client : clients) {
    auto outcome = client->Wait(std::chrono::seconds(120));
    ASSERT_TRUE(outcome.has_value()) << "still running";
    EXPECT_TRUE(outcome->ok()) << client->Stdout() << client->Stderr();
    EXPECT_EQ(client->Stdout(), "rate_limited 0\n") << client->Stderr();
  }

  http::Client http;
  auto response = http.Send("GET", (*emulator)->url() + "/__emulator/stats", {}, "");
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  json stats = json::parse(response->body);
  EXPECT_EQ(stats["rateLimited"], 0) << stats.dump();
  EXPECT_EQ(stats["bases"][base_id]["requests"], 2 * kRequestsEach) << stats.dump();
}

}  // namespace
}  // namespace airpg
