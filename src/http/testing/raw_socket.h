// RawSocket: a client TCP connection to a loopback port that sends and reads
// bytes as they are, for tests that must misbehave as no HTTP client would
// (half a request head, an endless chunked body). Every read waits with a
// deadline. Tests only; single-thread (send and read may run on two).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>

namespace airpg::http::testing {

class RawSocket {
 public:
  explicit RawSocket(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawSocket() {
    if (fd_ >= 0) close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return connected_; }

  // Sends all of `data`; false once the peer has closed or reset.
  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response (head, and a body of its Content-Length), or what
  // came before the peer closed or the deadline passed.
  std::string ReadResponse(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      size_t head_end = received_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        size_t length = 0;
        size_t at = received_.find("Content-Length: ");
        if (at != std::string::npos && at < head_end) length = std::atol(&received_[at + 16]);
        if (received_.size() >= head_end + 4 + length) {
          std::string response = received_.substr(0, head_end + 4 + length);
          received_.erase(0, head_end + 4 + length);
          return response;
        }
      }
      if (!ReadSome(deadline)) {
        std::string rest;
        rest.swap(received_);
        return rest;
      }
    }
  }

  // Whether the peer closes (or resets) the connection before the deadline;
  // bytes that arrive before are kept for ReadResponse.
  bool ClosedBy(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (ReadSome(deadline)) {
    }
    return closed_;
  }

 private:
  // Reads what arrives before the deadline; false at the deadline or once
  // the peer has closed.
  bool ReadSome(std::chrono::steady_clock::time_point deadline) {
    if (closed_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[16 * 1024];
    ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    received_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

}  // namespace airpg::http::testing
