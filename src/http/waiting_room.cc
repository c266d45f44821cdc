#include "http/waiting_room.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace airpg::http {
namespace {

using Clock = std::chrono::steady_clock;

// Deadlines are checked this often; a deadline may pass by up to this much.
constexpr std::chrono::milliseconds kTick{50};

}  // namespace

WaitingRoom::WaitingRoom(Limits limits, Ready ready) : limits_(limits), ready_(std::move(ready)) {}

WaitingRoom::~WaitingRoom() { Stop(); }

Status WaitingRoom::Start() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    return UnavailableError(std::string("http server: cannot create its poller: ") +
                            std::strerror(errno));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event);
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void WaitingRoom::Add(std::unique_ptr<Connection> conn) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !thread_.joinable()) return;  // closes it
    incoming_.push_back(std::move(conn));
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
}

void WaitingRoom::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
  thread_.join();
  close(epoll_fd_);
  close(wake_fd_);
  epoll_fd_ = wake_fd_ = -1;
}

void WaitingRoom::Run() {
  std::vector<epoll_event> events(64);
  auto next_expiry = Clock::now() + kTick;
  for (;;) {
    int timeout = waiting_.empty() ? -1 : static_cast<int>(kTick.count());
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd != wake_fd_) {
        OnReadable(fd);
        continue;
      }
      uint64_t count;
      [[maybe_unused]] ssize_t r = read(wake_fd_, &count, sizeof(count));
      std::vector<std::unique_ptr<Connection>> incoming;
      {
        std::lock_guard lock(mu_);
        if (stopping_) {
          incoming_.clear();
          waiting_.clear();
          return;
        }
        incoming.swap(incoming_);
      }
      for (auto& conn : incoming) Admit(std::move(conn));
    }
    auto now = Clock::now();
    if (now >= next_expiry) {
      Expire(now);
      next_expiry = now + kTick;
    }
  }
}

void WaitingRoom::Admit(std::unique_ptr<Connection> conn) {
  if (waiting_.size() >= limits_.max_connections) {
    auto oldest = waiting_.begin();
    for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
      if (it->second->since < oldest->second->since) oldest = it;
    }
    Drop(oldest->first, {});
  }
  auto now = Clock::now();
  conn->since = now;
  // A new connection has the head timeout to send its request; a kept-alive
  // one the (shorter) idle timeout to begin the next.
  conn->head_started = conn->served == 0 || !conn->Pending().empty();
  conn->deadline = now + (conn->head_started ? limits_.header_timeout : limits_.idle_timeout);
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP;
  event.data.fd = conn->fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, conn->fd, &event) != 0) return;  // closes it
  waiting_.emplace(conn->fd, std::move(conn));
}

void WaitingRoom::OnReadable(int fd) {
  auto it = waiting_.find(fd);
  if (it == waiting_.end()) return;
  Connection& conn = *it->second;
  char chunk[16 * 1024];
  bool got_bytes = false;
  for (;;) {
    ssize_t n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
    if (n > 0) {
      conn.buffer.append(chunk, static_cast<size_t>(n));
      got_bytes = true;
      if (conn.Pending().size() > limits_.max_head_bytes) break;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    if (got_bytes) break;  // serve what came before the close or error
    return Drop(fd, {});   // closed by the client, or broken
  }
  if (!conn.head_started) {
    conn.head_started = true;
    conn.deadline = Clock::now() + limits_.header_timeout;
  }
  if (conn.HeadComplete()) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    std::unique_ptr<Connection> ready = std::move(it->second);
    waiting_.erase(it);
    if (!ready_(ready)) {
      ++refused_busy;
      ready->SendNow(CannedResponse(503, "SERVER_BUSY", "Too many requests in progress; retry"));
    }
    return;
  }
  if (conn.Pending().size() > limits_.max_head_bytes) {
    ++heads_too_large;
    Drop(fd, CannedResponse(431, "REQUEST_HEADER_TOO_LARGE", "The request head is too large"));
  }
}

void WaitingRoom::Drop(int fd, std::string_view response) {
  auto it = waiting_.find(fd);
  if (it == waiting_.end()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  if (!response.empty()) it->second->SendNow(response);
  waiting_.erase(it);
}

void WaitingRoom::Expire(Clock::time_point now) {
  std::vector<std::pair<int, bool>> expired;  // fd, whether a head was begun
  for (const auto& [fd, conn] : waiting_) {
    if (now >= conn->deadline) expired.emplace_back(fd, !conn->Pending().empty());
  }
  for (auto [fd, begun] : expired) {
    if (begun) ++head_timeouts;
    Drop(fd, begun
                 ? CannedResponse(408, "REQUEST_TIMEOUT", "The request head did not arrive in time")
                 : std::string_view());
  }
}

}  // namespace airpg::http
