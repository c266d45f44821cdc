#include "child_process.h"

#include "wait_for.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/core.h>

extern char** environ;

namespace airpg::testing {
namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv,
    const std::map<std::string, std::optional<std::string>>& env,
    const std::filesystem::path& output_prefix) {
  if (argv.empty()) return InvalidArgumentError("ChildProcess: empty argv");
  std::vector<std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (env.count(std::string(entry.substr(0, entry.find('=')))) == 0) vars.emplace_back(entry);
  }
  for (const auto& [name, value] : env) {
    if (value) vars.push_back(name + "=" + *value);
  }
  std::vector<std::string> args = argv;
  std::vector<char*> c_args, c_env;
  for (std::string& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  for (std::string& v : vars) c_env.push_back(v.data());
  c_env.push_back(nullptr);

  std::string out = output_prefix.string() + ".out";
  std::string err = output_prefix.string() + ".err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, c_args[0], &actions, nullptr, c_args.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return FailedPreconditionError(fmt::format("cannot run {}: {}", argv[0], std::strerror(rc)));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, output_prefix));
}

ChildProcess::~ChildProcess() {
  if (!Exited()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void ChildProcess::Signal(int signal) {
  if (!wait_status_) ::kill(pid_, signal);
}

bool ChildProcess::Exited() {
  if (wait_status_) return true;
  int status = 0;
  pid_t got = ::waitpid(pid_, &status, WNOHANG);
  if (got == pid_) wait_status_ = status;
  return wait_status_.has_value();
}

std::optional<ProcessOutput> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (!WaitFor([this] { return Exited(); }, timeout)) return std::nullopt;
  return Outcome();
}

ProcessOutput ChildProcess::Outcome() const {
  ProcessOutput out;
  if (WIFEXITED(*wait_status_)) out.exit_code = WEXITSTATUS(*wait_status_);
  if (WIFSIGNALED(*wait_status_)) out.term_signal = WTERMSIG(*wait_status_);
  out.out = Stdout();
  out.err = Stderr();
  return out;
}

std::string ChildProcess::Stdout() const { return ReadAll(prefix_.string() + ".out"); }
std::string ChildProcess::Stderr() const { return ReadAll(prefix_.string() + ".err"); }

}  // namespace airpg::testing
