#include "pg/testing/postmaster.h"

#include <fstream>
#include <string>
#include <thread>

namespace airpg::pg::testing {
namespace {

bool Gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  // "PID (comm) STATE …": a zombie (Z) or dead (X) process has exited.
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() &&
         (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

}  // namespace

pid_t PostmasterPid(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / "postmaster.pid");
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

bool WaitUntilGone(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!Gone(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace airpg::pg::testing
