// Config: airpg's settings, from defaults, then airpg.yaml, then AIRPG_*
// environment variables, then command-line flags (each later source wins).
// Secrets (DATABASE_URL, AIRTABLE_TOKEN) come from the environment only.
// Thread-compatible value; built once in main.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/environment.h"
#include "base/result.h"

namespace airpg::cli {

// One table's sync settings (sync.tables.<name or tbl… id> in airpg.yaml).
struct SyncTableConfig {
  std::string lane;      // fast | normal | slow; "" = normal
  int poll_seconds = 0;  // 0: the lane's default (or sync.poll_seconds)
  // Two-way sync (docs/two-way-sync.md); "" = sync.authority / sync.conflict.
  std::string authority;                      // airtable | postgres | both
  std::string conflict;                       // airtable_wins | postgres_wins | latest | manual
  std::map<std::string, std::string> fields;  // field name or fld… id → authority
};

// Where `airpg sync` listens by default (docs/architecture.md, "Inbound sync").
inline constexpr int kDefaultSyncPort = 8719;

// `airpg sync`'s settings (the sync: section).
struct SyncConfig {
  int poll_seconds = 0;            // every table's safety poll; 0: by lane (10/60/300 s)
  int sweep_minutes = 10;          // delete sweep of each table
  int view_refresh_seconds = 60;   // stale view snapshots read again at most this often
  double max_delete_share = 0.20;  // a sweep deleting more of a table is held,
  int64_t min_held_deletes = 10;   // … when it deletes more rows than this too
  // The endpoints' port: stable, so a loopback hook's URL (and the hook, and
  // its payloads) survive a restart. --port overrides; 0: any free port.
  int port = kDefaultSyncPort;
  bool drop_removed_fields = false;  // a field deleted in Airtable: drop its column
  // Two-way sync: who writes each table by default, the conflict rule where
  // both may, and how long a record must be quiet before its change is sent.
  std::string authority = "airtable";
  std::string conflict = "latest";
  int debounce_ms = 200;
  // Attachments added in Postgres up to this size are uploaded; larger ones
  // are offered to Airtable as a signed URL on the sync's endpoints.
  int64_t attachment_upload_max_bytes = int64_t{5} << 20;
  // The collaborator (usr…) Postgres writes as: createdBy/lastModifiedBy of
  // the rows it writes (issue 18); "" leaves them NULL.
  std::string postgres_user;
  std::map<std::string, SyncTableConfig> tables;  // by table name or tbl… id
};

struct Config {
  // Where the config came from; empty when no file was read.
  std::filesystem::path source;

  std::filesystem::path home;  // AIRPG_HOME: data directory (embedded cluster, state)
  std::string log_level = "info";
  std::string log_format = "auto";
  std::filesystem::path embedded_bin_dir;  // empty: discover /usr/lib/postgresql/*/bin
  int embedded_tcp_port = 0;               // 0: unix socket only
  std::string airtable_endpoint_url = "https://api.airtable.com";
  // uploadAttachment's host; "": content.airtable.com for Airtable, else the endpoint.
  std::string airtable_content_url;
  std::string airtable_base_id;  // default base for migrate/verify/…; "" = none
  // The pacer's limits (requests per second): Airtable's are 5 per base and 50
  // per token. The per-base one is airpg's budget: Airtable's 5 are shared by
  // every client of the base, so the default 4 leaves one a second to the
  // organisation's own apps (docs/architecture.md, "Pacing"). Raise them only
  // for a server without limits (the emulator with --no-rate-limits, a caching
  // proxy); above Airtable's, every run meets 429s.
  // 3, not 4: an app that sends 2 requests in a second beside airpg's 4 tips
  // the base into Airtable's 30 s penalty (bench/neighbour_bench.cc).
  int airtable_per_base_limit = 3;
  int airtable_per_token_limit = 50;
  // Attachments larger than this are not downloaded (rejected instead):
  // Airtable's largest, 5 GB per file, by default.
  int64_t attachments_max_mb = 5120;
  // Schemas a migration replaced that stay for `airpg rollback` (the newest
  // this many; older ones are dropped at the next swap).
  int migrate_keep_backups = 3;
  SyncConfig sync;
  // `airpg serve`: the route of tables `airpg route set` did not set
  // (airtable | shadow | postgres).
  std::string serve_default_mode = "airtable";

  std::optional<std::string> database_url;    // DATABASE_URL
  std::optional<std::string> airtable_token;  // AIRTABLE_TOKEN
  // AIRPG_BLOB_SIGNING_KEY: signs the /blobs/ URLs of large attachments
  // (blobs/signing_key.h); unset, the catalog keeps one.
  std::optional<std::string> blob_signing_key;
};

// One settable key: its path in airpg.yaml and its environment variable.
struct ConfigKey {
  const char* path;  // "log.level"
  const char* env;   // "AIRPG_LOG_LEVEL"
  const char* help;
};

// Every key, in the order docs and `--help` list them.
const std::vector<ConfigKey>& ConfigKeys();

// Loads the config. `explicit_path` is --config; without it AIRPG_CONFIG, then
// ./airpg.yaml if present. A missing explicit file, an unknown key, a secret
// in the file or a bad value is kInvalidArgument naming the key.
Result<Config> LoadConfig(const Environment& env, const std::optional<std::string>& explicit_path);

// The default data directory: /var/lib/airpg for root (the `postgres` user
// that runs the embedded server cannot enter /root), else
// $XDG_DATA_HOME/airpg or ~/.local/share/airpg.
std::filesystem::path DefaultHome(const Environment& env);

}  // namespace airpg::cli
