// Connection: one accepted client socket of the Server and the bytes read
// from it that no request has consumed yet. It moves between the waiting room
// (until a request head is complete) and a worker (while that request is
// served), so a connection that is slow to send its head never holds a worker.
// Internal to src/http/. Thread-compatible: one owner at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace airpg::http {

struct Connection {
  explicit Connection(int fd);
  ~Connection();  // closes the socket
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The bytes read and not yet handed to a request.
  std::string_view Pending() const { return std::string_view(buffer).substr(consumed); }
  void Consume(size_t n);

  // Whether Pending() holds a whole request head (request line and headers
  // up to the blank line), so a worker can serve it without waiting.
  bool HeadComplete() const;

  // Sends `response` without blocking (best effort: the socket is about to
  // be closed), e.g. the waiting room's 408, 431 and 503.
  void SendNow(std::string_view response) const;

  const int fd;
  std::string buffer;
  size_t consumed = 0;
  size_t served = 0;  // requests answered on this connection
  std::string remote_ip, local_ip;
  int remote_port = -1, local_port = -1;
  // In the waiting room: when it came in, and the deadline of its head
  // (set at the first byte of a request; before that the idle deadline).
  std::chrono::steady_clock::time_point since;
  std::chrono::steady_clock::time_point deadline;
  bool head_started = false;
};

// A whole answer the server gives itself (not the handler), in Airtable's
// error shape {"error":{"type","message"}}, with Connection: close.
std::string CannedResponse(int status, std::string_view type, std::string_view message);

// The reason phrase of the statuses the server answers itself.
std::string_view ReasonPhrase(int status);

}  // namespace airpg::http
