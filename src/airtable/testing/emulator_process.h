// EmulatorProcess: the airtable-emulator binary run as a child process, for
// the tests of the folders that talk to Airtable (migrate, sync, daemon).
// They may not include emulator/ (the layer table), so they reach the
// emulator the way airpg itself does: over HTTP.
// Single-thread (tests); the child is stopped on destruction.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace airpg::airtable::testing {

class EmulatorProcess {
 public:
  // Writes `data_json` (a data file, docs/emulator.md) to a temporary file and
  // starts `binary --port 0 --data FILE --no-rate-limits`; returns once the
  // emulator says where it listens (kDeadlineExceeded after 30 s).
  static Result<std::unique_ptr<EmulatorProcess>> Start(const std::string& binary,
                                                        const std::string& data_json);
  ~EmulatorProcess();  // SIGTERM, then waits for the child
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;

  // "http://127.0.0.1:PORT"
  const std::string& url() const { return url_; }

  // One request to a control endpoint ("clock", "stats", …) with a JSON body;
  // the response body, or an error for a non-200 answer.
  Result<std::string> Control(const std::string& method, const std::string& path,
                              const std::string& json_body = "");

  // The emulator's clock (GET /__emulator/clock), which tests freeze and move.
  Result<std::chrono::system_clock::time_point> Now();

 private:
  EmulatorProcess(pid_t pid, std::string data_path) : pid_(pid), data_path_(std::move(data_path)) {}
  pid_t pid_;
  std::string data_path_;
  std::string url_;
  int port_ = 0;
};

}  // namespace airpg::airtable::testing
