// RunProcess: runs a program to completion and collects its exit status and,
// optionally, its output. Used to drive Postgres's own tools (initdb, pg_ctl)
// and, in tests, the airpg binary. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace airpg {

struct ProcessOptions {
  // False: the child starts from a minimal environment (PATH, locale, TZ,
  // TMPDIR) instead of this process's, so it never sees airpg's secrets
  // (AIRTABLE_TOKEN, DATABASE_URL, PGPASSWORD…). For programs airpg drives
  // but does not trust with them, like the embedded Postgres.
  bool inherit_environment = true;
  // Variables set (value) or removed (nullopt) on top of the starting environment.
  std::map<std::string, std::optional<std::string>> env;
  // When false, the child writes to this process's stdout and stderr.
  bool capture_output = true;
  // Bytes written to the child's stdin, which is then closed (/dev/null when empty).
  std::string stdin_data;
  // Zero means no limit; past it the child is killed with SIGKILL.
  std::chrono::milliseconds timeout{0};
};

struct ProcessOutput {
  int exit_code = -1;   // -1 when killed by a signal
  int term_signal = 0;  // the signal that ended it, or 0
  std::string out;      // captured stdout
  std::string err;      // captured stderr
  bool ok() const { return exit_code == 0; }
};

// Runs argv[0] (looked up in PATH) with argv. Fails only when the program
// cannot be started or the timeout passes (kDeadlineExceeded); a non-zero exit
// is reported in ProcessOutput, not as an error.
Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv,
                                 const ProcessOptions& options = {});

// Replaces this process with argv[0] (PATH lookup), environment adjusted as in
// ProcessOptions::env. Returns only on failure.
Status ExecProcess(const std::vector<std::string>& argv,
                   const std::map<std::string, std::optional<std::string>>& env = {});

}  // namespace airpg
