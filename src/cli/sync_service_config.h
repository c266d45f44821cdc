// The options one base's sync runs with, built the same way for `airpg sync`
// and `airpg serve` (which runs that sync for each of its bases): the
// webhook's URL (or keeping the recorded one), sweep, outbox, authority,
// attachments, and sync.tables' lanes and poll intervals. One builder, so a
// sync setting cannot apply to one command and be forgotten by the other.
// Single-thread (command entry).
#pragma once

#include <string>

#include "airtable/client.h"
#include "cli/config.h"
#include "daemon/sync_service.h"
#include "pg/connection.h"

namespace airpg::cli {

// What the command line adds to the config.
struct SyncFlags {
  std::string public_url;       // --public-url; "" with no --loopback-pings: keep the hook's URL
  bool loopback_pings = false;  // --loopback-pings
  std::string attachments_dir;  // --attachments-dir; "": bytes in Postgres
  int poll_seconds = 0;         // --poll-seconds; 0: sync.poll_seconds
};

// The sync options of `base_id` from the config and flags (no I/O; the
// endpoints' host and port are the caller's).
daemon::SyncServiceOptions SyncServiceOptionsFor(const Config& config, const SyncFlags& flags,
                                                 const std::string& base_id,
                                                 const std::string& conninfo);

// sync.tables lanes and poll intervals (and the poll interval of every other
// table) into `out`, reading the base's plan only when any is set.
// kInvalidArgument (exit 2) names a sync.tables entry the base does not
// have; other errors are the plan's.
Status ApplyTableSettingsFor(const Config& config, const SyncFlags& flags, airtable::Client& client,
                             pg::Connection& conn, const std::string& base_id,
                             sync::SyncerOptions& out);

}  // namespace airpg::cli
