#include "http/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

#include <fmt/core.h>

#include "http/connection.h"
#include "http/streams.h"
#include "http/waiting_room.h"
#include "http/worker_pool.h"

namespace airpg::http {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// What one request on a worker decided about its connection. cpp-httplib
// calls our handlers and logger on the thread that runs process_request,
// so the state of the request in flight is thread-local.
struct RequestState {
  bool handled = false;             // our handler answered (not httplib's own error path)
  bool close_after = false;         // the body was not (wholly) read: the stream is out of step
  const bool* timed_out = nullptr;  // the stream's: a read gave up at its deadline
};
thread_local RequestState* tls_request = nullptr;

void CloseAfter(httplib::Response& res) {
  if (tls_request != nullptr) tls_request->close_after = true;
  res.set_header("Connection", "close");
}

void Refuse(httplib::Response& res, int status, std::string_view type, std::string_view message) {
  CloseAfter(res);
  res.status = status;
  res.set_content(fmt::format(R"({{"error":{{"type":"{}","message":"{}"}}}})", type, message),
                  "application/json");
}

// Runs what cpp-httplib's accept loop hands over at once, on its thread: our
// process_and_close_socket only passes the socket to the waiting room.
class InlineQueue final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

// cpp-httplib's server with our connection handling: its parser and router
// (process_request) run over our streams; accepted sockets go to on_accept.
class RequestServer final : public httplib::Server {
 public:
  RequestServer(const http::Server::Options& options, http::Server::Handler handler)
      : max_body_bytes_(options.max_body_bytes), handler_(std::move(handler)) {
    auto plain = [this](const httplib::Request& req, httplib::Response& res) {
      if (tls_request != nullptr) tls_request->handled = true;
      // cpp-httplib does not read a body here; what follows would be taken
      // for the next request.
      if ((req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0") ||
          req.has_header("Transfer-Encoding")) {
        CloseAfter(res);
      }
      Respond(req, std::string(), res);
    };
    auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader) {
      if (tls_request != nullptr) tls_request->handled = true;
      HandleWithBody(req, res, reader);
    };
    // Every method goes to the one handler; it does its own routing on the
    // raw target so that encoded slashes in table names survive.
    Get(".*", plain);
    Options(".*", plain);
    Delete(".*", plain);
    Post(".*", with_body);
    Put(".*", with_body);
    Patch(".*", with_body);
    Delete(".*", with_body);
    set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      res.status = 500;
      res.set_content(R"({"error":{"type":"SERVER_ERROR","message":"Internal error"}})",
                      "application/json");
    });
    // An answer httplib gives itself (a malformed head, 414, 100-continue
    // refused) leaves the stream out of step: the connection ends with it.
    set_logger([](const httplib::Request&, const httplib::Response&) {
      if (tls_request != nullptr && !tls_request->handled) tls_request->close_after = true;
    });
    set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!DeclaredTooLarge(req)) return 100;
      Refuse(res, 413, "REQUEST_TOO_LARGE", TooLargeMessage());
      return 413;
    });
    set_payload_max_length(max_body_bytes_);
  }

  // Reads and answers one request from `stream`; `last` answers it with
  // Connection: close. Returns whether the connection may carry another.
  bool ServeOne(httplib::Stream& stream, bool last, const bool* timed_out = nullptr) {
    RequestState state;
    state.timed_out = timed_out;
    tls_request = &state;
    bool closed_by_client = false;
    bool written = process_request(stream, last, closed_by_client, nullptr);
    tls_request = nullptr;
    return written && !closed_by_client && !state.close_after && !last;
  }

  std::function<void(int fd)> on_accept;

  // The listening socket once bound.
  int listening_socket() const { return svr_sock_; }

 private:
  bool process_and_close_socket(socket_t sock) override {
    if (on_accept) {
      on_accept(sock);
    } else {
      close(sock);
    }
    return true;
  }

  std::string TooLargeMessage() const {
    return fmt::format("The request body is larger than {} bytes", max_body_bytes_);
  }

  bool DeclaredTooLarge(const httplib::Request& req) const {
    if (!req.has_header("Content-Length")) return false;
    std::string text = req.get_header_value("Content-Length");
    uint64_t length = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), length);
    // An unreadable length is httplib's to refuse (400); a huge one is ours.
    if (error == std::errc::result_out_of_range) return true;
    return error == std::errc() && end == text.data() + text.size() && length > max_body_bytes_;
  }

  void HandleWithBody(const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader& reader) {
    if (req.is_multipart_form_data()) {
      return Refuse(res, 415, "UNSUPPORTED_MEDIA_TYPE", "multipart bodies are not accepted");
    }
    // Refused before a byte of it is read (httplib would read and discard it).
    if (DeclaredTooLarge(req)) return Refuse(res, 413, "REQUEST_TOO_LARGE", TooLargeMessage());
    std::string body;
    bool too_large = false;
    // Chunked, compressed or unframed bodies are counted as they arrive:
    // reading stops at the first piece past the limit.
    bool read = reader([&](const char* data, size_t size) {
      if (size > max_body_bytes_ - body.size()) {
        too_large = true;
        return false;
      }
      body.append(data, size);
      return true;
    });
    if (too_large) return Refuse(res, 413, "REQUEST_TOO_LARGE", TooLargeMessage());
    if (!read && tls_request != nullptr && tls_request->timed_out != nullptr &&
        *tls_request->timed_out) {
      return Refuse(res, 408, "REQUEST_TIMEOUT", "The request body did not arrive in time");
    }
    if (!read) {
      int status = res.status >= 400 ? res.status : 400;
      return Refuse(res, status, "INVALID_REQUEST", "The request body could not be read");
    }
    Respond(req, std::move(body), res);
  }

  void Respond(const httplib::Request& in, std::string body, httplib::Response& res) const {
    Request request;
    request.method = in.method;
    request.target = in.target;
    for (const auto& [name, value] : in.headers) request.headers.emplace(Lower(name), value);
    request.body = std::move(body);
    request.remote_addr = in.remote_addr;
    Response response = handler_(request);
    res.status = response.status;
    for (const auto& [name, value] : response.headers) res.set_header(name, value);
    // set_content would copy a page's body once more: moved in instead.
    res.body = std::move(response.body);
    res.headers.erase("Content-Type");
    res.set_header("Content-Type", response.content_type);
  }

  const size_t max_body_bytes_;
  const http::Server::Handler handler_;
};

// Why `host`:`port` cannot be bound, found by trying it (httplib only says
// that it failed).
std::string BindFailure(const std::string& host, int port) {
  sockaddr_storage addr{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof(*v6);
  } else {
    return "not an IP address";
  }
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), length);
  int error = errno;
  close(fd);
  if (rc == 0) return "the address could not be bound";
  switch (error) {
    case EADDRINUSE:
      return "the port is already in use by another process";
    case EACCES:
      return "permission denied (ports below 1024 need privileges)";
    case EADDRNOTAVAIL:
      return "the address is not one of this machine's";
    default:
      return std::strerror(error);
  }
}

// Binds without SO_REUSEPORT (httplib's default sets it, which lets a
// second process bind the same port and take half its connections).
// SO_REUSEADDR only lets a restart bind past connections in TIME_WAIT.
void ExclusiveSocketOptions(socket_t sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

std::string BoundAddress(int sock, int* port) {
  sockaddr_storage addr{};
  socklen_t length = sizeof(addr);
  if (getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &length) != 0) return "";
  char host[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
    *port = ntohs(v6->sin6_port);
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
    *port = ntohs(v4->sin_port);
  }
  return FormatHostPort(host, *port);
}

}  // namespace

struct Server::Impl {
  Options options;
  std::unique_ptr<RequestServer> server;
  std::unique_ptr<WorkerPool> pool;
  std::unique_ptr<WaitingRoom> room;  // after pool: stops first
  std::thread thread;
  std::atomic<bool> stopping{false};
  int port = 0;
  std::string address;

  void Accept(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK | O_CLOEXEC);
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    room->Add(std::make_unique<Connection>(fd));
  }

  // A worker: answers the connection's requests while their heads are at
  // hand, then gives it back to the room to wait for the next.
  void Serve(std::unique_ptr<Connection> conn) {
    for (;;) {
      ConnectionStream stream(*conn, options.io_timeout,
                              std::chrono::steady_clock::now() + options.request_timeout);
      bool last = stopping || conn->served + 1 >= static_cast<size_t>(options.keep_alive_max_count);
      bool keep = server->ServeOne(stream, last, &stream.timed_out()) && !stream.failed();
      ++conn->served;
      if (!keep) return;  // closes it
      if (!conn->HeadComplete() && !AwaitNextHead(*conn)) return room->Add(std::move(conn));
    }
  }

  // A keep-alive client usually sends its next request as soon as it has
  // the answer: waiting a moment for it here saves two hand-overs (to the
  // room and back), which cost 4x the throughput with 4 clients, and their
  // latency. A worker waits options.linger, or the whole keep-alive timeout
  // while more than half the pool is idle (as a thread-per-connection
  // server would), so lingering connections never hold more than half the
  // workers, and only ones that sent a whole request. Returns whether a
  // whole head is now at hand.
  bool AwaitNextHead(Connection& conn) const {
    auto linger = options.linger;
    if (pool->idle() * 2 > pool->size()) {
      linger = std::max<std::chrono::milliseconds>(
          linger, std::chrono::seconds(options.keep_alive_timeout_seconds));
    }
    if (linger.count() <= 0) return false;
    auto deadline = std::chrono::steady_clock::now() + linger;
    char chunk[16 * 1024];
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{conn.fd, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>((left.count() + 999) / 1000)) <= 0) {
        return false;
      }
      ssize_t n = recv(conn.fd, chunk, sizeof(chunk), MSG_DONTWAIT);
      if (n <= 0) return false;  // the room sees the close or error too
      conn.buffer.append(chunk, static_cast<size_t>(n));
      if (conn.HeadComplete()) return true;
      if (conn.Pending().size() > options.max_head_bytes) return false;
    }
  }

  void StopAll() {
    stopping = true;
    if (thread.joinable()) {
      server->stop();
      thread.join();
    }
    if (room) room->Stop();
    if (pool) pool->Stop();
  }
};

Server::Server() : impl_(std::make_unique<Impl>()) {}

Server::~Server() { Stop(); }

Status Server::Start(const Options& options, Handler handler) {
  if (impl_->server) return FailedPreconditionError("http server already started");
  AIRPG_RETURN_IF_ERROR(CheckListenAddress(options.host, options.port));
  Impl& impl = *impl_;
  impl.options = options;
  impl.server = std::make_unique<RequestServer>(options, std::move(handler));
  RequestServer& server = *impl.server;
  server.set_socket_options(ExclusiveSocketOptions);
  server.set_tcp_nodelay(true);
  // Only for the Keep-Alive header httplib writes; our loop enforces them.
  server.set_keep_alive_max_count(options.keep_alive_max_count);
  server.set_keep_alive_timeout(options.keep_alive_timeout_seconds);
  server.new_task_queue = [] { return new InlineQueue; };
  server.on_accept = [&impl](int fd) { impl.Accept(fd); };

  impl.pool = std::make_unique<WorkerPool>(
      std::max(options.threads, 1), std::max<size_t>(options.max_queued, 1),
      [&impl](std::unique_ptr<Connection> conn) { impl.Serve(std::move(conn)); });
  WaitingRoom::Limits limits;
  limits.max_connections = std::max<size_t>(options.max_connections, 1);
  limits.max_head_bytes = options.max_head_bytes;
  limits.header_timeout = options.header_timeout;
  limits.idle_timeout = std::chrono::seconds(std::max(options.keep_alive_timeout_seconds, 0));
  impl.room = std::make_unique<WaitingRoom>(
      limits, [&impl](std::unique_ptr<Connection>& conn) { return impl.pool->TryPush(conn); });
  AIRPG_RETURN_IF_ERROR(impl.room->Start());

  if (!server.bind_to_port(options.host, options.port)) {
    return UnavailableError(fmt::format("cannot listen on {}: {}",
                                        FormatHostPort(options.host, options.port),
                                        BindFailure(options.host, options.port)));
  }
  // cpp-httplib 0.11 listens with a backlog of 5: a burst of connections
  // overflows it and the clients' SYNs wait a second to be retried. Linux
  // takes a second listen() on the socket as a new backlog.
  ::listen(server.listening_socket(), SOMAXCONN);
  impl.address = BoundAddress(server.listening_socket(), &impl.port);
  impl.thread = std::thread([&server] { server.listen_after_bind(); });
  // listen_after_bind marks the server running once its accept loop starts;
  // the socket is already bound and listening, so connections queue until then.
  while (!server.is_running() && impl.thread.joinable()) std::this_thread::yield();
  return Status::Ok();
}

int Server::port() const { return impl_->port; }

std::string Server::address() const { return impl_->address; }

Server::Stats Server::stats() const {
  Stats stats;
  if (impl_->room) {
    stats.refused_busy = impl_->room->refused_busy;
    stats.head_timeouts = impl_->room->head_timeouts;
    stats.heads_too_large = impl_->room->heads_too_large;
  }
  return stats;
}

void Server::Stop() { impl_->StopAll(); }

std::string Server::ServeBytes(const Options& options, const Handler& handler,
                               std::string_view input) {
  RequestServer server(options, handler);
  MemoryStream stream(input);
  for (int i = 0; i < 64 && !stream.exhausted(); ++i) {
    if (!server.ServeOne(stream, false)) break;
  }
  return stream.output();
}

Status CheckListenAddress(std::string_view host, int port) {
  if (port < 0 || port > 65535) {
    return InvalidArgumentError(
        fmt::format("port {} is out of range: use 1..65535, or 0 for any free port", port));
  }
  std::string text(host);
  in6_addr addr;
  if (inet_pton(AF_INET, text.c_str(), &addr) != 1 &&
      inet_pton(AF_INET6, text.c_str(), &addr) != 1) {
    return InvalidArgumentError(fmt::format(
        "listen address '{}' is not an IP address: use e.g. 127.0.0.1, 0.0.0.0, ::1 or ::", text));
  }
  return Status::Ok();
}

std::string FormatHostPort(std::string_view host, int port) {
  if (host.find(':') != std::string_view::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

}  // namespace airpg::http
