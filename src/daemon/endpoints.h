// Endpoints: the one HTTP server of `airpg sync`/`serve` for machines —
// Airtable's pings, Prometheus and health probes:
//   POST /airtable/webhook[/<base_id>]  → WebhookReceiver
//   GET  /metrics                       → MetricsRegistry::Render()
//   GET  /healthz                       → 200 {"ok":true} while the process serves
//   *    /v0/…                         → the API of `airpg serve`, when given
//   GET  /blobs/<sha256>?…              → signed attachment bytes, when given
//   GET  /readyz                        → 200 {"ok":true} when `ready` says so (Postgres
//                                         answers), else 503 {"ok":false,"error"}
// Anything else is 404, a known path with another method 405. It listens on
// loopback unless told otherwise: expose it through a proxy that Airtable
// can reach, and keep /metrics private. The server's guards hold here
// (http/server.h): slow or oversized requests cannot take its workers, and a
// body past 64 KiB (pings are ~150 bytes) gets 413.
// Thread-safety: requests are served on the server's pool threads (the
// receiver, registry and `ready` must be thread-safe); Start/Stop are called
// from the owning thread.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "daemon/metrics.h"
#include "daemon/webhook_receiver.h"
#include "http/server.h"

namespace airpg::daemon {

struct EndpointsOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: pick a free port (see Endpoints::port)
  int threads = 8;
  // `airpg serve`: the Airtable-compatible API (api::ApiService), given every
  // request under /v0/ on the same port; unset: those are 404. Must be
  // thread-safe; bodies up to 2 MiB are accepted when it is set.
  std::function<http::Response(const http::Request&)> api;
  // GET /blobs/<sha256>?expires=…&sig=…: attachment bytes Airtable fetches
  // (blobs/blob_links.h; the two-way sync sets it). Unset: 404. Thread-safe.
  std::function<http::Response(const http::Request&)> blobs;
  // More Prometheus text appended to /metrics (the API's counters).
  std::function<std::string()> extra_metrics;
};

// The HTTP server settings the endpoints run with (also the fuzz target's).
http::Server::Options EndpointsServerOptions(const EndpointsOptions& options);

class Endpoints {
 public:
  // Borrows `receiver` and `metrics`, which must outlive this object.
  // `ready` is the readiness probe (e.g. PingStore::Check); empty: always ready.
  Endpoints(WebhookReceiver& receiver, const MetricsRegistry& metrics,
            std::function<Status()> ready = nullptr);
  ~Endpoints();  // stops the server

  // Binds and serves in the background. REQUIRES: not started.
  Status Start(const EndpointsOptions& options);
  int port() const { return server_.port(); }
  // The bound address, host:port (what the listen message prints).
  std::string address() const { return server_.address(); }
  void Stop() { server_.Stop(); }

  // Routes one request (what the server calls; tests may call it directly).
  http::Response Handle(const http::Request& request) const;

 private:
  WebhookReceiver& receiver_;
  const MetricsRegistry& metrics_;
  const std::function<Status()> ready_;
  std::function<http::Response(const http::Request&)> api_;    // set by Start, then read-only
  std::function<std::string()> extra_metrics_;                 // set by Start, then read-only
  std::function<http::Response(const http::Request&)> blobs_;  // set by Start, then read-only
  http::Server server_;  // last: stops before the members its handler uses
};

}  // namespace airpg::daemon
