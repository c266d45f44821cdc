// libFuzzer target: raw bytes as one client connection to the endpoints of
// `airpg sync` (webhook receiver, /metrics, /healthz, /readyz), through the
// same request path as a socket: cpp-httplib's parser behind the server's
// limits (http::Server::ServeBytes), then Endpoints::Handle and the
// WebhookReceiver. There is no Postgres: the secret lookup fails, so pings
// end in 503 after parsing; malformed and misrouted ones are fully handled.
// Build with AIRPG_FUZZ=ON under clang (see `make fuzz`).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/log.h"
#include "daemon/endpoints.h"
#include "daemon/metrics.h"
#include "daemon/ping_store.h"
#include "daemon/webhook_receiver.h"

namespace {

using namespace airpg;

struct Fixture {
  Fixture()
      : store([]() -> Result<pg::Connection> {
          return UnavailableError("no database in the fuzzer");
        }),
        receiver(store, metrics, nullptr),
        endpoints(receiver, metrics) {
    log::Init({log::Level::kOff});
  }
  daemon::MetricsRegistry metrics;
  daemon::PingStore store;
  daemon::WebhookReceiver receiver;
  daemon::Endpoints endpoints;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fixture = new Fixture();
  static const http::Server::Options options = daemon::EndpointsServerOptions({});
  http::Server::ServeBytes(
      options, [](const http::Request& request) { return fixture->endpoints.Handle(request); },
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
