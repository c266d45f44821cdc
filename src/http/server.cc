#include "http/server.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <thread>

namespace airpg::http {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

Request ToRequest(const httplib::Request& in) {
  Request out;
  out.method = in.method;
  out.target = in.target;
  for (const auto& [name, value] : in.headers) out.headers.emplace(Lower(name), value);
  out.body = in.body;
  out.remote_addr = in.remote_addr;
  return out;
}

void FromResponse(const Response& in, httplib::Response* out) {
  out->status = in.status;
  for (const auto& [name, value] : in.headers) out->set_header(name, value);
  out->set_content(in.body, in.content_type);
}

}  // namespace

struct Server::Impl {
  httplib::Server server;
  std::thread thread;
  int port = 0;
};

Server::Server() : impl_(std::make_unique<Impl>()) {}

Server::~Server() { Stop(); }

Status Server::Start(const Options& options, Handler handler) {
  if (impl_->thread.joinable()) return FailedPreconditionError("http server already started");
  httplib::Server& server = impl_->server;
  int threads = std::max(options.threads, 2);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(options.keep_alive_max_count);
  server.set_keep_alive_timeout(options.keep_alive_timeout_seconds);
  server.set_payload_max_length(options.max_body_bytes);

  auto route = [handler](const httplib::Request& req, httplib::Response& res) {
    FromResponse(handler(ToRequest(req)), &res);
  };
  // Every method goes to the one handler; it does its own routing on the raw
  // target so that encoded slashes in table names survive.
  server.Get(".*", route);
  server.Post(".*", route);
  server.Put(".*", route);
  server.Patch(".*", route);
  server.Delete(".*", route);
  server.Options(".*", route);
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.set_content(R"({"error":{"type":"SERVER_ERROR","message":"Internal error"}})",
                        "application/json");
      });

  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
    if (port <= 0) return UnavailableError("cannot bind a free port on " + options.host);
  } else if (!server.bind_to_port(options.host, port)) {
    return UnavailableError("cannot bind " + options.host + ":" + std::to_string(port));
  }
  impl_->port = port;
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  // listen_after_bind marks the server running once its accept loop starts;
  // the socket is already bound and listening, so connections queue until then.
  while (!server.is_running() && impl_->thread.joinable()) std::this_thread::yield();
  return Status::Ok();
}

int Server::port() const { return impl_->port; }

void Server::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace airpg::http
