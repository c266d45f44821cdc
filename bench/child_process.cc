#include "bench/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <fmt/core.h>

extern char** environ;

namespace airpg::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> BuildEnvironment(
    const std::map<std::string, std::optional<std::string>>& changes) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (changes.count(name) == 0) out.push_back(std::move(entry));
  }
  for (const auto& [name, value] : changes) {
    if (value) out.push_back(name + "=" + *value);
  }
  return out;
}

// Waits for `pid` to become reapable for at most `timeout`; true when it is.
bool WaitReadable(int pidfd, pid_t pid, std::chrono::milliseconds timeout) {
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    return n > 0;
  }
  // No pidfd (old kernel): poll the child every 2 ms.
  auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

double CpuSeconds(const rusage& usage) {
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// fork + PTRACE_TRACEME + execve: the child stops at its exec, the parent asks
// for an exit stop and lets it run. Only async-signal-safe calls after fork.
Result<pid_t> SpawnTraced(std::vector<char*>& argv, std::vector<char*>& envp,
                          const SpawnOptions& options) {
  pid_t pid = ::fork();
  if (pid < 0) return UnavailableError(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    auto redirect = [](const char* path, int flags, int to) {
      int fd = ::open(path, flags | O_CLOEXEC, 0644);
      if (fd < 0 || ::dup2(fd, to) < 0) ::_exit(126);
    };
    redirect("/dev/null", O_RDONLY, STDIN_FILENO);
    redirect(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, STDOUT_FILENO);
    redirect(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, STDERR_FILENO);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(126);
    if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
    return UnavailableError(fmt::format("{} did not start (status {:#x})", argv[0], status));
  }
  ::ptrace(PTRACE_SETOPTIONS, pid, nullptr, PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL);
  ::ptrace(PTRACE_CONT, pid, nullptr, nullptr);
  return pid;
}

}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(const std::vector<std::string>& argv,
                                                          const SpawnOptions& options) {
  std::vector<std::string> args = argv;
  std::vector<char*> c_argv;
  for (std::string& a : args) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  std::vector<std::string> env = BuildEnvironment(options.env);
  std::vector<char*> c_env;
  for (std::string& e : env) c_env.push_back(e.data());
  c_env.push_back(nullptr);
  auto started = Clock::now();
  if (options.trace_peak_rss) {
    AIRPG_ASSIGN_OR_RETURN(pid_t pid, SpawnTraced(c_argv, c_env, options));
    return std::unique_ptr<ChildProcess>(new ChildProcess(pid, started, true));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, options.stdout_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, options.stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, args[0].c_str(), &actions, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return UnavailableError(fmt::format("cannot start {}: {}", args[0], std::strerror(rc)));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, started, false));
}

ChildProcess::~ChildProcess() { Stop(); }

void ChildProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, traced_ ? SIGKILL : SIGTERM);  // a traced child would stop at SIGTERM
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

Result<ChildExit> ChildProcess::Wait(const std::function<void(double)>& tick,
                                     std::chrono::milliseconds every) {
  if (pid_ <= 0) return FailedPreconditionError("the child was already reaped");
  if (traced_) return WaitTraced(tick, every);
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  auto next_tick = started_ + every;
  while (!WaitReadable(pidfd, pid_,
                       std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::max(next_tick - Clock::now(), Clock::duration::zero())))) {
    if (Clock::now() >= next_tick) {
      if (tick) tick(std::chrono::duration<double>(Clock::now() - started_).count());
      next_tick += every;
    }
  }
  int status = 0;
  rusage usage{};
  pid_t reaped;
  while ((reaped = ::wait4(pid_, &status, 0, &usage)) < 0 && errno == EINTR) {
  }
  auto ended = Clock::now();
  if (pidfd >= 0) ::close(pidfd);
  if (reaped != pid_) return InternalError(fmt::format("wait4: {}", std::strerror(errno)));
  pid_ = -1;
  ChildExit out;
  out.seconds = std::chrono::duration<double>(ended - started_).count();
  out.cpu_seconds = CpuSeconds(usage);
  if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.term_signal = WTERMSIG(status);
  return out;
}

// A traced child stops for signals and at its exit: a pidfd does not wake on
// stops, so this polls every 2 ms (the wall time is as exact as that).
Result<ChildExit> ChildProcess::WaitTraced(const std::function<void(double)>& tick,
                                           std::chrono::milliseconds every) {
  ChildExit out;
  auto next_tick = started_ + every;
  for (;;) {
    int status = 0;
    rusage usage{};
    pid_t got = ::wait4(pid_, &status, WNOHANG, &usage);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return InternalError(fmt::format("wait4: {}", std::strerror(errno)));
    if (got == 0) {
      if (Clock::now() >= next_tick) {
        if (tick) tick(std::chrono::duration<double>(Clock::now() - started_).count());
        next_tick += every;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    if (WIFSTOPPED(status)) {
      int forward = WSTOPSIG(status);
      if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
        out.peak_rss_bytes = ProcStatusBytes(pid_, "VmHWM");
        forward = 0;
      }
      ::ptrace(PTRACE_CONT, pid_, nullptr, reinterpret_cast<void*>(static_cast<intptr_t>(forward)));
      continue;
    }
    out.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    out.cpu_seconds = CpuSeconds(usage);
    if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) out.term_signal = WTERMSIG(status);
    pid_ = -1;
    return out;
  }
}

Result<std::string> WaitForLine(const std::string& path, const std::string& prefix,
                                std::chrono::milliseconds timeout) {
  auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    std::istringstream text(ReadText(path));
    for (std::string line; std::getline(text, line);) {
      if (line.rfind(prefix, 0) == 0 && !text.eof()) return line.substr(prefix.size());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return DeadlineExceededError(
      fmt::format("no line '{}…' in {} within {} ms", prefix, path, timeout.count()));
}

int64_t ProcStatusBytes(pid_t pid, std::string_view key) {
  std::istringstream text(ReadText(fmt::format("/proc/{}/status", pid)));
  std::string prefix = std::string(key) + ":";
  for (std::string line; std::getline(text, line);) {
    if (line.rfind(prefix, 0) == 0) return std::atoll(line.c_str() + prefix.size()) * 1024;  // kB
  }
  return 0;
}

namespace {

// Fields 4 (ppid) and 14-17 (utime, stime, cutime, cstime) of /proc/PID/stat.
struct ProcStat {
  pid_t ppid = 0;
  double own = 0, reaped = 0;  // seconds
};

std::optional<ProcStat> ReadProcStat(pid_t pid) {
  std::string text = ReadText(fmt::format("/proc/{}/stat", pid));
  size_t paren = text.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(paren + 2));
  std::vector<std::string> f;
  for (std::string word; fields >> word;) f.push_back(word);
  if (f.size() < 15) return std::nullopt;  // f[0] is field 3 (state)
  double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  ProcStat out;
  out.ppid = std::atoi(f[1].c_str());
  out.own = (std::atof(f[11].c_str()) + std::atof(f[12].c_str())) / tick;
  out.reaped = (std::atof(f[13].c_str()) + std::atof(f[14].c_str())) / tick;
  return out;
}

}  // namespace

double ProcessCpuSeconds(pid_t pid, bool children) {
  std::optional<ProcStat> self = ReadProcStat(pid);
  if (!self) return 0;
  double total = self->own;
  if (!children) return total;
  total += self->reaped;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::optional<ProcStat> child = ReadProcStat(std::atoi(name.c_str()));
    if (child && child->ppid == pid) total += child->own;
  }
  return total;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace airpg::bench
