#include "airtable/testing/emulator_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/core.h>

extern char** environ;

namespace airpg::airtable::testing {
namespace {

Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return UnavailableError(std::strerror(errno));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Reads the child's stdout until it names its URL.
Result<std::string> ReadListeningLine(int fd) {
  std::string text;
  constexpr std::string_view kPrefix = "listening on ";
  for (int waited = 0; waited < 300; ++waited) {
    size_t at = text.find(kPrefix);
    size_t end = at == std::string::npos ? at : text.find('\n', at);
    if (end != std::string::npos)
      return text.substr(at + kPrefix.size(), end - at - kPrefix.size());
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buffer[512];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) return UnavailableError("the emulator exited before listening: " + text);
    if (n > 0) text.append(buffer, static_cast<size_t>(n));
  }
  return DeadlineExceededError("the emulator did not start within 30 s");
}

}  // namespace

Result<std::unique_ptr<EmulatorProcess>> EmulatorProcess::Start(const std::string& binary,
                                                                const std::string& data_json) {
  char data_path[] = "/tmp/airpg-emulator-data-XXXXXX.json";
  int data_fd = ::mkstemps(data_path, 5);
  if (data_fd < 0) return UnavailableError("cannot create the emulator's data file");
  Status written = WriteAll(data_fd, data_json);
  ::close(data_fd);
  std::unique_ptr<EmulatorProcess> process(new EmulatorProcess(-1, data_path));
  AIRPG_RETURN_IF_ERROR(written);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return UnavailableError("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::vector<std::string> args = {binary, "--port", "0", "--data", data_path, "--no-rate-limits"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int spawned =
      ::posix_spawn(&process->pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(out[0]);
    process->pid_ = -1;
    return UnavailableError(fmt::format("cannot start {}: {}", binary, std::strerror(spawned)));
  }
  Result<std::string> url = ReadListeningLine(out[0]);
  // Nothing else of interest comes on stdout; the emulator logs to stderr.
  ::close(out[0]);
  if (!url.ok()) return url.status();
  process->url_ = *url;
  process->port_ = std::atoi(process->url_.substr(process->url_.rfind(':') + 1).c_str());
  return process;
}

EmulatorProcess::~EmulatorProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  ::unlink(data_path_.c_str());
}

Result<std::string> EmulatorProcess::Control(const std::string& method, const std::string& path,
                                             const std::string& json_body) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return UnavailableError("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return UnavailableError("cannot connect to the emulator");
  }
  std::string request = fmt::format(
      "{} /__emulator/{} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
      method, path, json_body.size(), json_body);
  Status sent = WriteAll(fd, request);
  std::string response;
  char buffer[4096];
  ssize_t n = 0;
  while (sent.ok() && ((n = ::read(fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))) {
    if (n > 0) response.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  AIRPG_RETURN_IF_ERROR(sent);
  size_t body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.1 200", 0) != 0 || body == std::string::npos) {
    return UnavailableError("control request failed: " + response.substr(0, 200));
  }
  // Connection: close, so the body runs to the end (no chunked framing expected).
  return response.substr(body + 4);
}

Result<std::chrono::system_clock::time_point> EmulatorProcess::Now() {
  AIRPG_ASSIGN_OR_RETURN(std::string clock, Control("GET", "clock"));
  constexpr std::string_view kKey = "\"nowMillis\":";
  size_t at = clock.find(kKey);
  if (at == std::string::npos) return UnavailableError("no nowMillis in " + clock);
  long long millis = std::strtoll(clock.c_str() + at + kKey.size(), nullptr, 10);
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(millis));
}

}  // namespace airpg::airtable::testing
