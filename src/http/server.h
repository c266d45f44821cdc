// Server: a small HTTP/1.1 server that hands every request to one handler.
// cpp-httplib (which never appears in this header) parses requests; the
// connections are ours, so that no client can hold the server:
//  - connections wait for a whole request head in one WaitingRoom thread,
//    never on a worker (a slow loris costs a slot, and gets 408 at
//    header_timeout; a head past max_head_bytes gets 431);
//  - a fixed pool of `threads` workers with a queue of at most `max_queued`
//    requests (beyond: 503 at once);
//  - each read or write waits at most io_timeout, and the body and the
//    answer of one request must be through within request_timeout;
//  - a body larger than max_body_bytes gets 413 once that much has been
//    read, chunked or not (a Content-Length above it: before any is read),
//    and the connection is closed.
// The bind does not share the port (no SO_REUSEPORT): a port in use fails.
// Settings measured in DESIGN.md stay: TCP_NODELAY and a large keep-alive
// count (idle keep-alive connections wait in the room, not on a worker).
// Thread-safe: the handler runs on pool threads and must be thread-safe;
// Start/Stop are called from one owning thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "http/message.h"

namespace airpg::http {

class Server {
 public:
  using Handler = std::function<Response(const Request&)>;

  struct Options {
    std::string host = "127.0.0.1";  // loopback only unless told otherwise
    int port = 0;                    // 0: pick a free port; see port()
    int threads = 32;                // workers
    size_t max_queued = 256;         // whole requests waiting for a worker
    size_t max_connections = 1024;   // connections waiting for a head or idle
    int keep_alive_max_count = 100000;
    int keep_alive_timeout_seconds = 1;  // idle time between requests
    std::chrono::milliseconds header_timeout{10000};
    std::chrono::milliseconds io_timeout{5000};
    std::chrono::milliseconds request_timeout{30000};
    // How long a worker waits for the next request of a kept-alive
    // connection before handing it back to the waiting room.
    std::chrono::milliseconds linger{2};
    size_t max_head_bytes = 64 << 10;
    size_t max_body_bytes = 64 << 20;
  };

  Server();
  ~Server();  // stops the server and joins its threads
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, then serves on background threads. Returns once the socket
  // accepts connections. Errors: InvalidArgument for a host that is not an
  // IP address or a port outside 0..65535; Unavailable when the address
  // cannot be bound (in use, not ours, privileged), saying which.
  // REQUIRES: not started.
  Status Start(const Options& options, Handler handler);

  // The bound port (the chosen one when Options::port was 0); 0 before Start.
  int port() const;
  // The bound address as host:port ("[::1]:8080" for IPv6); "" before Start.
  std::string address() const;

  // What the server refused on its own, since Start.
  struct Stats {
    uint64_t refused_busy = 0;     // 503: the workers' queue was full
    uint64_t head_timeouts = 0;    // 408: a head not finished within header_timeout
    uint64_t heads_too_large = 0;  // 431
  };
  Stats stats() const;

  // Stops accepting, finishes in-flight requests and joins. Idempotent.
  void Stop();

  // Serves the raw bytes of one client connection (requests, pipelined)
  // through the same request path as a socket, without one, and returns the
  // bytes answered. For the fuzz target and tests of the parser.
  static std::string ServeBytes(const Options& options, const Handler& handler,
                                std::string_view input);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Ok when `host` is an IPv4 or IPv6 address and `port` is in 0..65535
// (0: any free port); otherwise InvalidArgument naming the bad value.
Status CheckListenAddress(std::string_view host, int port);

// "host:port", with brackets around an IPv6 host.
std::string FormatHostPort(std::string_view host, int port);

}  // namespace airpg::http
