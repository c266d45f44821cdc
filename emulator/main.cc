// airtable-emulator: serves the emulator on 127.0.0.1 until SIGINT/SIGTERM.
//   airtable-emulator [--port N] [--data FILE.json] [--save FILE.json]
//                     [--token T]... [--no-rate-limits] [--per-base N] [--per-token N]
//                     [--penalty-ms N]
//                     [--offset-ttl-ms N] [--seed N]
//   airtable-emulator generate --records N --tables T [--seed S] > FILE.json
// With --port 0 it prints the chosen port as "listening on http://127.0.0.1:PORT".
// Exit 2 on bad usage (a --port outside 0..65535 included), 3 when the port
// cannot be bound (in use), 1 on other failures.
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "emulator/emulator.h"
#include "emulator/generator.h"
#include "http/server.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int Usage(const char* why) {
  std::fprintf(
      stderr,
      "airtable-emulator: %s\nusage: airtable-emulator [--port N] [--data FILE.json] "
      "[--save FILE.json] [--token T]... [--no-rate-limits] [--per-base N] [--per-token N] "
      "[--penalty-ms N] "
      "[--offset-ttl-ms N] [--seed N]\n       airtable-emulator generate --records N "
      "--tables T [--seed S] > FILE.json\n",
      why);
  return 2;
}

// The whole of `text` as a port number, or -1.
int ParsePort(const char* text) {
  std::string_view view(text);
  int port = -1;
  auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), port);
  if (error != std::errc() || end != view.data() + view.size()) return -1;
  return port;
}

}  // namespace

// airtable-emulator generate --records N --tables T [--seed S]: a data file on stdout.
int Generate(int argc, char** argv) {
  int records = 100, tables = 1;
  uint64_t seed = 1;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return Usage(("missing value for " + arg).c_str());
    const char* value = argv[++i];
    if (arg == "--records") {
      records = std::atoi(value);
    } else if (arg == "--tables") {
      tables = std::atoi(value);
    } else if (arg == "--seed") {
      seed = std::strtoull(value, nullptr, 10);
    } else {
      return Usage(("unknown argument " + arg).c_str());
    }
  }
  if (records < 0 || tables < 1) return Usage("--records must be >= 0 and --tables >= 1");
  std::string text = airpg::emulator::GenerateBase(tables, records, seed).dump(1) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "generate") return Generate(argc, argv);
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
               arg == "--penalty-ms" || arg == "--offset-ttl-ms" || arg == "--seed" ||
               arg == "--per-base" || arg == "--per-token") {
      if ((value = next()) == nullptr) return Usage(("missing value for " + arg).c_str());
      if (arg == "--port") {
        options.port = ParsePort(value);
        airpg::Status valid = airpg::http::CheckListenAddress(options.host, options.port);
        if (!valid.ok())
          return Usage(
              ("--port " + std::string(value) + ": " + std::string(valid.message())).c_str());
      }
      if (arg == "--data") options.data_path = value;
      if (arg == "--save") options.save_path = value;
      if (arg == "--token") options.tokens.push_back(value);
      if (arg == "--penalty-ms") options.penalty_millis = std::atoll(value);
      if (arg == "--offset-ttl-ms") options.offset_ttl_millis = std::atoll(value);
      if (arg == "--seed") options.seed = std::strtoull(value, nullptr, 10);
      if (arg == "--per-base") options.per_base_per_second = std::atoi(value);
      if (arg == "--per-token") options.per_token_per_second = std::atoi(value);
    } else {
      return Usage(("unknown argument " + arg).c_str());
    }
  }
  auto emulator = airpg::emulator::Emulator::Start(options);
  if (!emulator.ok()) {
    std::fprintf(stderr, "airtable-emulator: %s\n", emulator.status().ToString().c_str());
    return emulator.status().code() == airpg::StatusCode::kUnavailable ? 3 : 1;
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
