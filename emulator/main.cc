// airtable-emulator: serves the emulator on 127.0.0.1 until SIGINT/SIGTERM.
//   airtable-emulator [--port N] [--data FILE.json] [--save FILE.json]
//                     [--token T]... [--no-rate-limits] [--penalty-ms N]
//                     [--offset-ttl-ms N] [--seed N]
// With --port 0 it prints the chosen port as "listening on http://127.0.0.1:PORT".
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "emulator/emulator.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int Usage(const char* why) {
  std::fprintf(stderr,
               "airtable-emulator: %s\nusage: airtable-emulator [--port N] [--data FILE.json] "
               "[--save FILE.json] [--token T]... [--no-rate-limits] [--penalty-ms N] "
               "[--offset-ttl-ms N] [--seed N]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  airpg::emulator::EmulatorOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* value = nullptr;
    if (arg == "--help" || arg == "-h") {
      Usage("an offline Airtable Web API");
      return 0;
    } else if (arg == "--no-rate-limits") {
      options.rate_limits = false;
    } else if (arg == "--port" || arg == "--data" || arg == "--save" || arg == "--token" ||
               arg == "--penalty-ms" || arg == "--offset-ttl-ms" || arg == "--seed") {
      if ((value = next()) == nullptr) return Usage(("missing value for " + arg).c_str());
      if (arg == "--port") options.port = std::atoi(value);
      if (arg == "--data") options.data_path = value;
      if (arg == "--save") options.save_path = value;
      if (arg == "--token") options.tokens.push_back(value);
      if (arg == "--penalty-ms") options.penalty_millis = std::atoll(value);
      if (arg == "--offset-ttl-ms") options.offset_ttl_millis = std::atoll(value);
      if (arg == "--seed") options.seed = std::strtoull(value, nullptr, 10);
    } else {
      return Usage(("unknown argument " + arg).c_str());
    }
  }
  auto emulator = airpg::emulator::Emulator::Start(options);
  if (!emulator.ok()) {
    std::fprintf(stderr, "airtable-emulator: %s\n", emulator.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on %s\n", (*emulator)->url().c_str());
  std::fflush(stdout);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  sigset_t none;
  sigemptyset(&none);
  while (!g_stop) sigsuspend(&none);
  airpg::Status status = (*emulator)->Stop();
  if (!status.ok()) {
    std::fprintf(stderr, "airtable-emulator: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
