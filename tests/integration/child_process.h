// ChildProcess: a program started in the background, for tests that signal
// or SIGKILL it in the middle of a job and then look at what it left behind.
// Its stdout and stderr go to files (readable while it runs), so a chatty
// child never blocks on a full pipe. Single-thread (tests); a child still
// running on destruction is killed with SIGKILL and reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/subprocess.h"

namespace airpg::testing {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with this process's environment changed by `env`
  // (nullopt removes a variable); output goes to `<output_prefix>.out` and
  // `<output_prefix>.err`, truncated first.
  static Result<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv,
      const std::map<std::string, std::optional<std::string>>& env,
      const std::filesystem::path& output_prefix);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal);

  // Reaps the child if it has ended (never blocks); true once it has.
  bool Exited();
  // Waits up to `timeout` for the child to end: its exit code or signal and
  // its output, or nullopt while it is still running.
  std::optional<ProcessOutput> Wait(std::chrono::milliseconds timeout);

  std::string Stdout() const;
  std::string Stderr() const;

 private:
  ChildProcess(pid_t pid, std::filesystem::path prefix) : pid_(pid), prefix_(std::move(prefix)) {}
  ProcessOutput Outcome() const;

  pid_t pid_;
  std::filesystem::path prefix_;
  std::optional<int> wait_status_;  // set once reaped
};

}  // namespace airpg::testing
