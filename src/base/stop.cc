#include "base/stop.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace airpg {
namespace {

constexpr char kStop = 's';
constexpr char kQuit = 'q';

void WriteByte(int fd, char c) noexcept {
  // A full pipe already holds a byte the thread will read: nothing is lost.
  while (::write(fd, &c, 1) < 0 && errno == EINTR) {
  }
}

}  // namespace

SignalStop::SignalStop() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) std::abort();
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  ::fcntl(write_fd_, F_SETFL, O_NONBLOCK);  // Notify never blocks a handler
  thread_ = std::thread([this] {
    for (;;) {
      char c = 0;
      ssize_t n = ::read(read_fd_, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || c == kQuit) return;
      source_.request_stop();
    }
  });
}

SignalStop::~SignalStop() {
  WriteByte(write_fd_, kQuit);
  thread_.join();
  ::close(read_fd_);
  ::close(write_fd_);
}

void SignalStop::Notify() noexcept {
  int saved = errno;  // a handler must leave errno as it found it
  WriteByte(write_fd_, kStop);
  errno = saved;
}

}  // namespace airpg
