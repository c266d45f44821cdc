// Server: a small HTTP/1.1 server on a loopback port that hands every request
// to one handler. Wraps cpp-httplib (which never appears in this header) with
// the settings measured in DESIGN.md: TCP_NODELAY, a large keep-alive count,
// a short keep-alive timeout and a thread pool larger than the idle
// keep-alive connections (288 → ~50k req/s).
// Thread-safe: the handler runs on pool threads and must be thread-safe;
// Start/Stop are called from one owning thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "http/message.h"

namespace airpg::http {

class Server {
 public:
  using Handler = std::function<Response(const Request&)>;

  struct Options {
    std::string host = "127.0.0.1";  // loopback only unless told otherwise
    int port = 0;                    // 0: pick a free port; see port()
    int threads = 32;                // > idle keep-alive connections we expect
    int keep_alive_max_count = 100000;
    int keep_alive_timeout_seconds = 1;
    size_t max_body_bytes = 64 << 20;
  };

  Server();
  ~Server();  // stops the server and joins its threads
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, then serves on a background thread. Returns once the socket
  // accepts connections. REQUIRES: not started.
  Status Start(const Options& options, Handler handler);

  // The bound port (the chosen one when Options::port was 0); 0 before Start.
  int port() const;

  // Stops accepting, finishes in-flight requests and joins. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace airpg::http
