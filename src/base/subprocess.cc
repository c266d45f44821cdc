#include "base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/core.h>

extern char** environ;

namespace airpg {
namespace {

// Owns a file descriptor; closes it on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

Status MakePipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return InternalError(fmt::format("pipe: {}", std::strerror(errno)));
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return Status::Ok();
}

// What a child started without this process's environment keeps: enough to
// find programs and speak the same locale, nothing that could be a secret.
bool IsHarmlessVariable(std::string_view name) {
  return name == "PATH" || name == "LANG" || name == "LANGUAGE" || name == "TZ" ||
         name == "TMPDIR" || name.rfind("LC_", 0) == 0;
}

// environ (all of it, or only its harmless variables) with `changes` applied,
// as "NAME=value" strings.
std::vector<std::string> BuildEnvironment(
    const std::map<std::string, std::optional<std::string>>& changes, bool inherit = true) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string name(entry.substr(0, entry.find('=')));
    if (!inherit && !IsHarmlessVariable(name)) continue;
    if (changes.count(name) == 0) out.emplace_back(entry);
  }
  for (const auto& [name, value] : changes) {
    if (value) out.push_back(name + "=" + *value);
  }
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv,
                                 const ProcessOptions& options) {
  if (argv.empty()) return InvalidArgumentError("RunProcess: empty argv");
  Fd in_read, in_write, out_read, out_write, err_read, err_write;
  AIRPG_RETURN_IF_ERROR(MakePipe(&in_read, &in_write));
  if (options.capture_output) {
    AIRPG_RETURN_IF_ERROR(MakePipe(&out_read, &out_write));
    AIRPG_RETURN_IF_ERROR(MakePipe(&err_read, &err_write));
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read.get(), STDIN_FILENO);
  if (options.capture_output) {
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
  }
  std::vector<std::string> args = argv;
  std::vector<std::string> env = BuildEnvironment(options.env, options.inherit_environment);
  std::vector<char*> c_args = CStrings(args);
  std::vector<char*> c_env = CStrings(env);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, c_args[0], &actions, nullptr, c_args.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return FailedPreconditionError(fmt::format("cannot run {}: {}", argv[0], std::strerror(rc)));
  }
  in_read.reset();
  out_write.reset();
  err_write.reset();

  // Feed stdin and drain stdout/stderr together so neither side blocks.
  ProcessOutput result;
  size_t stdin_written = 0;
  if (options.stdin_data.empty()) in_write.reset();
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool timed_out = false;
  while (in_write.get() >= 0 || out_read.get() >= 0 || err_read.get() >= 0) {
    pollfd fds[3];
    int n = 0;
    if (in_write.get() >= 0) fds[n++] = {in_write.get(), POLLOUT, 0};
    if (out_read.get() >= 0) fds[n++] = {out_read.get(), POLLIN, 0};
    if (err_read.get() >= 0) fds[n++] = {err_read.get(), POLLIN, 0};
    int wait_ms = -1;
    if (options.timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(left.count());
    }
    int ready = ::poll(fds, n, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_write.get()) {
        ssize_t w = ::write(in_write.get(), options.stdin_data.data() + stdin_written,
                            options.stdin_data.size() - stdin_written);
        if (w > 0) stdin_written += static_cast<size_t>(w);
        if (w < 0 || stdin_written == options.stdin_data.size()) in_write.reset();
        continue;
      }
      Fd& fd = fds[i].fd == out_read.get() ? out_read : err_read;
      std::string& sink = fds[i].fd == out_read.get() ? result.out : result.err;
      char buf[8192];
      ssize_t r = ::read(fd.get(), buf, sizeof buf);
      if (r > 0) {
        sink.append(buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        fd.reset();
      }
    }
  }
  if (timed_out) ::kill(pid, SIGKILL);

  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return DeadlineExceededError(
        fmt::format("{} did not finish within {} ms", argv[0], options.timeout.count()));
  }
  if (WIFEXITED(wstatus)) result.exit_code = WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) result.term_signal = WTERMSIG(wstatus);
  return result;
}

Status ExecProcess(const std::vector<std::string>& argv,
                   const std::map<std::string, std::optional<std::string>>& env) {
  if (argv.empty()) return InvalidArgumentError("ExecProcess: empty argv");
  std::vector<std::string> args = argv;
  std::vector<std::string> vars = BuildEnvironment(env);
  std::vector<char*> c_args = CStrings(args);
  std::vector<char*> c_env = CStrings(vars);
  ::execvpe(c_args[0], c_args.data(), c_env.data());
  return FailedPreconditionError(fmt::format("cannot run {}: {}", argv[0], std::strerror(errno)));
}

}  // namespace airpg
