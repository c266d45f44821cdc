#include "daemon/endpoints.h"

#include <string_view>

#include "base/json_escape.h"
#include "base/redact.h"

namespace airpg::daemon {
namespace {

http::Response Json(int status, std::string body) {
  return http::Response{status, "application/json", {}, std::move(body)};
}

http::Response Error(int status, std::string_view type) {
  return Json(status, "{\"error\":\"" + std::string(type) + "\"}");
}

}  // namespace

http::Server::Options EndpointsServerOptions(const EndpointsOptions& options) {
  http::Server::Options server;
  server.host = options.host;
  server.port = options.port;
  server.threads = options.threads;
  server.max_queued = 64;
  server.max_connections = 256;
  server.max_head_bytes = 16 << 10;
  server.max_body_bytes = 64 << 10;  // pings are ~150 bytes
  if (options.api) {
    // API clients keep connections alive and send record batches.
    server.max_queued = 256;
    server.max_connections = 1024;
    server.max_body_bytes = 2 << 20;
  }
  return server;
}

Endpoints::Endpoints(WebhookReceiver& receiver, const MetricsRegistry& metrics,
                     std::function<Status()> ready)
    : receiver_(receiver), metrics_(metrics), ready_(std::move(ready)) {}

Endpoints::~Endpoints() { server_.Stop(); }

Status Endpoints::Start(const EndpointsOptions& options) {
  api_ = options.api;
  blobs_ = options.blobs;
  extra_metrics_ = options.extra_metrics;
  return server_.Start(EndpointsServerOptions(options),
                       [this](const http::Request& request) { return Handle(request); });
}

http::Response Endpoints::Handle(const http::Request& request) const {
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  bool get = request.method == "GET" || request.method == "HEAD";

  if (path == kWebhookPath ||
      (path.rfind(kWebhookPath, 0) == 0 && path[kWebhookPath.size()] == '/')) {
    if (request.method != "POST") return Error(405, "method_not_allowed");
    return receiver_.Handle(request);
  }
  // /__airpg/: serve's opt-in fault injection (api/fault_injection.h).
  if (api_ && (path.rfind("/v0/", 0) == 0 || path.rfind("/__airpg/", 0) == 0)) {
    return api_(request);
  }
  if (blobs_ && path.rfind("/blobs/", 0) == 0) return blobs_(request);
  if (path == "/metrics") {
    if (!get) return Error(405, "method_not_allowed");
    return http::Response{200,
                          std::string(MetricsRegistry::kContentType),
                          {},
                          metrics_.Render() + (extra_metrics_ ? extra_metrics_() : "")};
  }
  if (path == "/healthz") {
    if (!get) return Error(405, "method_not_allowed");
    return Json(200, R"({"ok":true})");
  }
  if (path == "/readyz") {
    if (!get) return Error(405, "method_not_allowed");
    Status ready = ready_ ? ready_() : Status::Ok();
    if (ready.ok()) return Json(200, R"({"ok":true})");
    return Json(503, "{\"ok\":false,\"error\":\"" + JsonEscape(Redact(ready.ToString())) + "\"}");
  }
  return Error(404, "not_found");
}

}  // namespace airpg::daemon
