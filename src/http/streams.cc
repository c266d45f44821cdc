#include "http/streams.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace airpg::http {

bool ConnectionStream::Wait(short events) const {
  auto now = std::chrono::steady_clock::now();
  if (now >= deadline_) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now);
  auto wait = std::min(io_timeout_, left + std::chrono::milliseconds(1));
  pollfd fd{conn_.fd, events, 0};
  int rc;
  do {
    rc = poll(&fd, 1, static_cast<int>(wait.count()));
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

bool ConnectionStream::is_readable() const { return !conn_.Pending().empty() || Wait(POLLIN); }

bool ConnectionStream::is_writable() const { return Wait(POLLOUT); }

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (read_failed_) return -1;
  std::string_view pending = conn_.Pending();
  if (pending.empty()) {
    if (!Wait(POLLIN)) {
      read_failed_ = timed_out_ = true;
      return -1;
    }
    char chunk[16 * 1024];
    ssize_t n;
    do {
      n = recv(conn_.fd, chunk, sizeof(chunk), MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      read_failed_ = true;
      return n < 0 ? -1 : 0;
    }
    conn_.buffer.append(chunk, static_cast<size_t>(n));
    pending = conn_.Pending();
  }
  size_t n = std::min(size, pending.size());
  std::memcpy(ptr, pending.data(), n);
  conn_.Consume(n);
  return static_cast<ssize_t>(n);
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  size_t done = 0;
  while (!write_failed_ && done < size) {
    ssize_t n = send(conn_.fd, ptr + done, size - done, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && Wait(POLLOUT)) {
      continue;
    } else {
      write_failed_ = true;
    }
  }
  return write_failed_ ? -1 : static_cast<ssize_t>(done);
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = conn_.remote_ip;
  port = conn_.remote_port;
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = conn_.local_ip;
  port = conn_.local_port;
}

ssize_t MemoryStream::read(char* ptr, size_t size) {
  size_t n = std::min(size, input_.size());
  if (n > 0) std::memcpy(ptr, input_.data(), n);
  input_.remove_prefix(n);
  return static_cast<ssize_t>(n);
}

ssize_t MemoryStream::write(const char* ptr, size_t size) {
  output_.append(ptr, size);
  return static_cast<ssize_t>(size);
}

void MemoryStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = "127.0.0.1";
  port = 40000;
}

void MemoryStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = "127.0.0.1";
  port = 8080;
}

}  // namespace airpg::http
