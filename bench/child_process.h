// ChildProcess: a program a benchmark starts and measures from outside, as a
// user runs it — the real `airpg` and `airtable-emulator` binaries. Wait()
// gives the wall time from spawn to exit and, when asked, the child's peak
// resident set (VmHWM read at its exit through ptrace; see SpawnOptions).
// stdout and stderr go to files so a long run's output never blocks the
// child. Single-thread; a child still running at destruction gets SIGTERM
// and is reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace airpg::bench {

struct SpawnOptions {
  // Variables set (value) or removed (nullopt) on top of this process's environment.
  std::map<std::string, std::optional<std::string>> env;
  std::string stdout_path = "/dev/null";  // truncated
  std::string stderr_path = "/dev/null";  // truncated
  std::string cwd;                        // "" = this process's
  // Reads the child's VmHWM when it exits (a ptrace exit stop, taken while
  // its memory still exists). wait4's ru_maxrss is not used: Linux carries
  // the spawning process's peak RSS across fork and exec into it, so it would
  // report the benchmark's own peak whenever that is the larger.
  bool trace_peak_rss = false;
};

struct ChildExit {
  int exit_code = -1;          // -1 when killed by a signal
  int term_signal = 0;         // the signal that ended it, or 0
  double seconds = 0;          // wall time from spawn to exit
  double cpu_seconds = 0;      // user + system time of the child (wait4)
  int64_t peak_rss_bytes = 0;  // VmHWM at exit; 0 unless trace_peak_rss
  bool ok() const { return exit_code == 0; }
};

class ChildProcess {
 public:
  static Result<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                     const SpawnOptions& options);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Blocks until the child exits; calls `tick` with the seconds elapsed every
  // `every` while it runs (progress output). The exit time is taken when the
  // kernel reports it (pidfd), not at the next tick.
  Result<ChildExit> Wait(const std::function<void(double)>& tick = nullptr,
                         std::chrono::milliseconds every = std::chrono::seconds(10));

  // SIGTERM and wait; for servers (the emulator).
  void Stop();

 private:
  ChildProcess(pid_t pid, std::chrono::steady_clock::time_point started, bool traced)
      : pid_(pid), started_(started), traced_(traced) {}
  Result<ChildExit> WaitTraced(const std::function<void(double)>& tick,
                               std::chrono::milliseconds every);
  pid_t pid_;  // -1 once reaped
  std::chrono::steady_clock::time_point started_;
  bool traced_;
};

// Polls `path` until a line starting with `prefix` appears and returns the
// rest of that line (kDeadlineExceeded after `timeout`).
Result<std::string> WaitForLine(const std::string& path, const std::string& prefix,
                                std::chrono::milliseconds timeout);

// A "Vm…:" line of /proc/PID/status ("VmRSS", "VmHWM") in bytes, or 0 when
// it cannot be read.
int64_t ProcStatusBytes(pid_t pid, std::string_view key);

// CPU seconds (user + system) a process has used, with `children` also
// those of its children it has reaped, plus its live children's own (one
// level: a server such as the postmaster and its backends). 0 when gone.
double ProcessCpuSeconds(pid_t pid, bool children);

// The whole file, or "" when it cannot be read.
std::string ReadText(const std::string& path);

}  // namespace airpg::bench
