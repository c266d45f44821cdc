#include "cli/error_line.h"

#include <chrono>
#include <cstdio>
#include <string>

#include <fmt/chrono.h>
#include <fmt/core.h>

#include "base/json_escape.h"
#include "base/redact.h"
#include "cli/exit_code.h"

namespace airpg::cli {
namespace {

bool json_error_lines = false;

}  // namespace

void SetJsonErrorLines(bool json) { json_error_lines = json; }

void PrintErrorLine(std::string_view message) {
  std::string redacted = Redact(message);
  std::string line =
      json_error_lines
          ? fmt::format(
                "{{\"ts\":\"{:%Y-%m-%dT%H:%M:%S}Z\",\"level\":\"error\",\"msg\":\"{}\"}}\n",
                fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())),
                JsonEscape(redacted))
          : fmt::format("airpg: {}\n", redacted);
  std::fflush(stdout);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

int Fail(const Status& status) { return Fail(status, ExitCodeFor(status)); }

int Fail(const Status& status, int exit_code) {
  PrintErrorLine(status.message());
  return exit_code;
}

}  // namespace airpg::cli
