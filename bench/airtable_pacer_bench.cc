// Sustained request rate through the shared Pacer against airtable-emulator
// with Airtable's limits switched on (5 requests/s per base), several threads
// listing one base. Prints requests/s, the ratio to the pacer's budget (the
// baseline: 4/s by default, one under Airtable's 5; target >= 0.98) and the
// 429s (target 0).
// Usage: airtable_pacer_bench [SECONDS] [THREADS]
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "airtable/client.h"
#include "emulator/emulator.h"
#include "emulator/generator.h"

using namespace airpg;
using SteadyClock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 10;
  int threads = argc > 2 ? std::atoi(argv[2]) : 4;
  nlohmann::json data = emulator::GenerateBase(1, 200, 1);
  std::string base = data["bases"][0]["id"];
  emulator::EmulatorOptions options;
  options.data_json = data.dump();
  options.rate_limits = true;
  auto emu = emulator::Emulator::Start(options);
  if (!emu.ok()) {
    std::cerr << emu.status().ToString() << "\n";
    return 1;
  }
  airtable::Pacer pacer;
  airtable::ClientOptions client_options;
  client_options.endpoint_url = (*emu)->url();
  client_options.token = "patPacerBench0000.0123456789";
  airtable::Client client(client_options, pacer);

  // Skip the first second: the window starts full, so it measures the burst.
  std::atomic<int64_t> counted{0};
  auto start = SteadyClock::now();
  auto count_from = start + std::chrono::seconds(1);
  auto until = count_from + std::chrono::seconds(seconds);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      airtable::ListOptions list;
      list.page_size = 10;
      while (SteadyClock::now() < until) {
        auto page = client.ListPage(base, "Table 1", list, "", airtable::Priority::kBackfill);
        if (!page.ok()) {
          std::cerr << page.status().ToString() << "\n";
          std::exit(1);
        }
        if (SteadyClock::now() >= count_from && SteadyClock::now() < until) ++counted;
      }
    });
  }
  for (auto& w : workers) w.join();
  double rate = counted.load() / static_cast<double>(seconds);
  int limit = pacer.limits().per_base;
  std::cout << fmt::format("airtable_pacer_bench: {} threads, one base, {} s: {:.2f} requests/s\n",
                           threads, seconds, rate);
  std::cout << fmt::format(
      "airtable_pacer_bench: ratio to the {}/s budget = {:.3f} (target >= 0.98)\n", limit,
      rate / limit);
  std::cout << fmt::format("airtable_pacer_bench: 429s = {} (target 0)\n",
                           client.stats().rate_limited);
  return 0;
}
