// Benchmark: list-records requests per second (target ≥ 5 000/s, issue #3).
// Serves a generated 1 000-record table and lists 100-record pages over
// loopback HTTP with keep-alive, then prints the rate and its ratio to a
// baseline measured in the same run: the same requests dispatched in-process
// (no network), which bounds what HTTP can reach.
//   emulator_bench [--requests N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "emulator/emulator.h"
#include "emulator/generator.h"
#include "http/client.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 5000;
  if (argc == 3 && std::string(argv[1]) == "--requests") requests = std::atoi(argv[2]);
  airpg::emulator::Json data = airpg::emulator::GenerateBase(1, 1000, 1);
  std::string target =
      "/v0/" + data["bases"][0]["id"].get<std::string>() + "/Table%201?pageSize=100";
  airpg::emulator::EmulatorOptions options;
  options.rate_limits = false;
  options.data_json = data.dump();
  auto emulator = airpg::emulator::Emulator::Start(options);
  if (!emulator.ok()) {
    std::fprintf(stderr, "emulator_bench: %s\n", emulator.status().ToString().c_str());
    return 1;
  }

  airpg::http::Request request;
  request.method = "GET";
  request.target = target;
  request.headers["authorization"] = "Bearer patBench";
  auto start = Clock::now();
  for (int i = 0; i < requests; ++i) {
    if ((*emulator)->Handle(request).status != 200) return 1;
  }
  double in_process = requests / Seconds(start);

  airpg::http::Client client;
  std::string url = (*emulator)->url() + target;
  start = Clock::now();
  for (int i = 0; i < requests; ++i) {
    auto response = client.Send("GET", url, {{"Authorization", "Bearer patBench"}});
    if (!response.ok() || response->status != 200) return 1;
  }
  double over_http = requests / Seconds(start);
  std::string health = (*emulator)->url() + "/__emulator/health";
  start = Clock::now();
  for (int i = 0; i < requests; ++i) {
    auto response = client.Send("GET", health);
    if (!response.ok() || response->status != 200) return 1;
  }
  double http_floor = requests / Seconds(start);
  std::printf("list records (100-record pages), %d requests\n", requests);
  std::printf("  in-process baseline: %8.0f req/s\n", in_process);
  std::printf("  over loopback HTTP:  %8.0f req/s  (%.2fx baseline; target 5000 req/s)\n",
              over_http, over_http / in_process);
  std::printf("  trivial request over HTTP (transport ceiling): %8.0f req/s\n", http_floor);
  return 0;
}
