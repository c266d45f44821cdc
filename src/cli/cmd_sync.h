// `airpg sync` (keep Postgres current from Airtable until stopped),
// `airpg status` (per-table sync state and ping → commit lag percentiles) and
// `airpg dlq list|show|replay|drop` (the dead-letter queue) and
// `airpg sync release-deletes TABLE` (apply a held delete sweep). Single-thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/config.h"

namespace airpg::cli {

struct SyncCliOptions {
  std::optional<std::string> base;  // --base; else airtable.base_id
  std::string listen_host = "127.0.0.1";
  std::optional<int> listen_port;  // --port; else sync.port (0: any free port, printed)
  std::string public_url;          // where Airtable reaches us; "" = no pings
  bool loopback_pings = false;     // Airtable on this machine (the emulator)
  int poll_seconds = 0;            // 0: each lane's default
  std::string attachments_dir;
  bool json = false;
  // dlq
  std::string dlq_action;  // list, show, replay, drop
  std::vector<int64_t> ids;
  std::string status;  // dlq list --status
  // sync release-deletes
  std::string release_table;
  bool outbox = false;  // dlq list|replay --outbox: the outbox's dead changes
};

int RunSync(const Config& config, const SyncCliOptions& options);
int RunStatus(const Config& config, const SyncCliOptions& options);
int RunDlq(const Config& config, const SyncCliOptions& options);
int RunReleaseDeletes(const Config& config, const SyncCliOptions& options);

}  // namespace airpg::cli
