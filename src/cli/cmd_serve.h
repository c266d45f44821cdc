// `airpg serve`: everything `airpg sync` does for its bases, plus the
// Airtable-compatible API (src/api/) on the same port as /metrics, /healthz
// and /readyz. Single-thread entry; the API runs on the server's threads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/config.h"

namespace airpg::cli {

struct ServeCliOptions {
  std::vector<std::string> bases;  // --base (repeatable); else airtable.base_id
  std::string listen_host = "127.0.0.1";
  std::optional<int> listen_port;  // --port; else sync.port (0: any free port, printed)
  std::string public_url;
  bool loopback_pings = false;
  std::string attachments_dir;  // --attachments-dir, as `airpg sync`'s
  int threads = 32;             // API workers
  int pool_size = 16;           // Postgres connections for the API
  // --inject-faults: /__airpg/faults answers the next API requests with an
  // error, for testing a client's retry (api/fault_injection.h).
  bool inject_faults = false;
};

int RunServe(const Config& config, const ServeCliOptions& options);

}  // namespace airpg::cli
