#include "cli/config.h"

#include <unistd.h>

#include <charconv>
#include <map>

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include "base/log.h"
#include "base/redact.h"

namespace airpg::cli {
namespace fs = std::filesystem;
namespace {

// Keys a config file must not hold: secrets live in the environment.
constexpr const char* kSecretKeys[] = {"database_url",   "database.url", "airtable.token",
                                       "airtable_token", "token",        "password"};

// Flattens a YAML mapping into "section.key" → (scalar, line).
Status Flatten(const YAML::Node& node, const std::string& prefix,
               std::map<std::string, std::pair<std::string, int>>* out) {
  if (!node.IsMap()) {
    return InvalidArgumentError(
        fmt::format("'{}' must be a mapping", prefix.empty() ? "<top>" : prefix));
  }
  for (const auto& item : node) {
    std::string key = item.first.as<std::string>();
    std::string path = prefix.empty() ? key : prefix + "." + key;
    if (item.second.IsMap()) {
      AIRPG_RETURN_IF_ERROR(Flatten(item.second, path, out));
    } else if (item.second.IsScalar() || item.second.IsNull()) {
      std::string value = item.second.IsNull() ? "" : item.second.as<std::string>();
      (*out)[path] = {value, item.first.Mark().line + 1};
    } else {
      return InvalidArgumentError(fmt::format("'{}' must be a single value", path));
    }
  }
  return Status::Ok();
}

// The whole of `value` as a number of type T, or nullopt.
template <typename T>
std::optional<T> ParseNumber(const std::string& value) {
  T out{};
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  return out;
}

bool IsAuthority(std::string_view v) { return v == "airtable" || v == "postgres" || v == "both"; }
bool IsConflictRule(std::string_view v) {
  return v == "airtable_wins" || v == "postgres_wins" || v == "latest" || v == "manual";
}

Status Apply(Config& config, std::string_view path, const std::string& value,
             std::string_view origin) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(fmt::format("{}: {} {}", origin, path, why));
  };
  constexpr std::string_view kSyncTables = "sync.tables.";
  if (path.substr(0, kSyncTables.size()) == kSyncTables) {
    // sync.tables.<name>.lane | .poll_seconds | .authority | .conflict |
    // .fields.<field>; a name may hold dots itself.
    std::string_view rest = path.substr(kSyncTables.size());
    if (size_t fields = rest.find(".fields."); fields != std::string_view::npos) {
      std::string table(rest.substr(0, fields));
      std::string field(rest.substr(fields + 8));
      if (table.empty() || field.empty()) {
        return bad("must name a table and a field: sync.tables.<table>.fields.<field>");
      }
      if (!IsAuthority(value)) return bad("must be airtable, postgres or both");
      config.sync.tables[table].fields[field] = value;
      return Status::Ok();
    }
    size_t dot = rest.rfind('.');
    std::string_view key = dot == std::string_view::npos ? "" : rest.substr(dot + 1);
    std::string table(dot == std::string_view::npos ? "" : rest.substr(0, dot));
    if (table.empty()) return bad("must name a table: sync.tables.<name or tbl… id>.lane");
    if (key == "lane") {
      if (value != "fast" && value != "normal" && value != "slow") {
        return bad("must be fast, normal or slow");
      }
      config.sync.tables[table].lane = value;
    } else if (key == "poll_seconds") {
      auto seconds = ParseNumber<int>(value);
      if (!seconds || *seconds < 1) return bad("must be a whole number of seconds, at least 1");
      config.sync.tables[table].poll_seconds = *seconds;
    } else if (key == "authority") {
      if (!IsAuthority(value)) return bad("must be airtable, postgres or both");
      config.sync.tables[table].authority = value;
    } else if (key == "conflict") {
      if (!IsConflictRule(value))
        return bad("must be airtable_wins, postgres_wins, latest or manual");
      config.sync.tables[table].conflict = value;
    } else {
      return InvalidArgumentError(fmt::format(
          "{}: unknown key '{}' (a table takes lane, poll_seconds, authority, conflict and fields)",
          origin, path));
    }
    return Status::Ok();
  }
  if (path == "home") {
    if (value.empty()) return bad("must not be empty");
    // A relative data directory would move with the working directory, and
    // `db start` run from elsewhere would make a second cluster: refused.
    if (!fs::path(value).is_absolute()) return bad("must be an absolute path");
    config.home = value;
  } else if (path == "log.level") {
    log::Level level;
    if (!log::ParseLevel(value, &level).ok()) return bad("must be debug, info, warn, error or off");
    config.log_level = value;
  } else if (path == "log.format") {
    log::Format format;
    if (!log::ParseFormat(value, &format).ok()) return bad("must be auto, text or json");
    config.log_format = value;
  } else if (path == "embedded.bin_dir") {
    config.embedded_bin_dir = value;
  } else if (path == "embedded.tcp_port") {
    int port = -1;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
    if (ec != std::errc() || end != value.data() + value.size() || port < 0 || port > 65535) {
      return bad("must be a port number (0 for unix socket only)");
    }
    config.embedded_tcp_port = port;
  } else if (path == "airtable.endpoint_url") {
    if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0) {
      return bad("must be an http:// or https:// URL");
    }
    config.airtable_endpoint_url = value;
  } else if (path == "airtable.content_url") {
    if (!value.empty() && value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0) {
      return bad("must be an http:// or https:// URL");
    }
    config.airtable_content_url = value;
  } else if (path == "airtable.base_id") {
    if (!value.empty() && value.rfind("app", 0) != 0) return bad("must be a base id (app…)");
    config.airtable_base_id = value;
  } else if (path == "airtable.per_base_limit" || path == "airtable.per_token_limit") {
    auto limit = ParseNumber<int>(value);
    if (!limit || *limit < 1)
      return bad("must be a whole number of requests per second, at least 1");
    (path == "airtable.per_base_limit" ? config.airtable_per_base_limit
                                       : config.airtable_per_token_limit) = *limit;
  } else if (path == "attachments.max_mb") {
    auto mb = ParseNumber<int64_t>(value);
    if (!mb || *mb < 1 || *mb > (int64_t{1} << 40))
      return bad("must be a whole number of MiB, at least 1");
    config.attachments_max_mb = *mb;
  } else if (path == "migrate.keep_backups") {
    auto keep = ParseNumber<int>(value);
    if (!keep || *keep < 1 || *keep > 1000) return bad("must be a whole number from 1 to 1000");
    config.migrate_keep_backups = *keep;
  } else if (path == "sync.poll_seconds" || path == "sync.sweep_minutes") {
    auto number = ParseNumber<int>(value);
    if (!number || *number < 1) return bad("must be a whole number, at least 1");
    (path == "sync.poll_seconds" ? config.sync.poll_seconds : config.sync.sweep_minutes) = *number;
  } else if (path == "sync.view_refresh") {
    auto seconds = ParseNumber<int>(value);
    if (!seconds || *seconds < 0) return bad("must be a whole number of seconds, at least 0");
    config.sync.view_refresh_seconds = *seconds;
  } else if (path == "sync.max_delete_share") {
    auto share = ParseNumber<double>(value);
    if (!share || !(*share > 0 && *share <= 1)) return bad("must be a share above 0, at most 1");
    config.sync.max_delete_share = *share;
  } else if (path == "sync.min_held_deletes") {
    auto count = ParseNumber<int64_t>(value);
    if (!count || *count < 0) return bad("must be a whole number of rows, at least 0");
    config.sync.min_held_deletes = *count;
  } else if (path == "sync.port") {
    auto port = ParseNumber<int>(value);
    if (!port || *port < 0 || *port > 65535) return bad("must be a port, 0..65535 (0: any free)");
    config.sync.port = *port;
  } else if (path == "sync.authority") {
    if (!IsAuthority(value)) return bad("must be airtable, postgres or both");
    config.sync.authority = value;
  } else if (path == "sync.postgres_user") {
    if (!value.empty() && value.rfind("usr", 0) != 0) return bad("must be a collaborator id, usr…");
    config.sync.postgres_user = value;
  } else if (path == "sync.conflict") {
    if (!IsConflictRule(value))
      return bad("must be airtable_wins, postgres_wins, latest or manual");
    config.sync.conflict = value;
  } else if (path == "sync.debounce_ms") {
    auto ms = ParseNumber<int>(value);
    if (!ms || *ms < 0 || *ms > 60000) return bad("must be a whole number of ms, 0 to 60000");
    config.sync.debounce_ms = *ms;
  } else if (path == "sync.attachment_upload_max_bytes") {
    auto bytes = ParseNumber<int64_t>(value);
    if (!bytes || *bytes < 0 || *bytes > (int64_t{5} << 20)) {
      return bad("must be a number of bytes, 0 to 5242880 (Airtable's upload limit)");
    }
    config.sync.attachment_upload_max_bytes = *bytes;
  } else if (path == "sync.tables") {
    // AIRPG_SYNC_TABLES: the whole sync.tables mapping as YAML (flow style
    // fits a variable: {Clients: {authority: both}}).
    std::map<std::string, std::pair<std::string, int>> values;
    try {
      YAML::Node node = YAML::Load(value);
      if (!node.IsNull()) AIRPG_RETURN_IF_ERROR(Flatten(node, "sync.tables", &values));
    } catch (const YAML::Exception& e) {
      return bad(fmt::format("must be a YAML mapping: {}", e.what()));
    }
    for (const auto& [key, entry] : values) {
      AIRPG_RETURN_IF_ERROR(Apply(config, key, entry.first, origin));
    }
  } else if (path == "sync.drop_removed_fields") {
    if (value != "true" && value != "false") return bad("must be true or false");
    config.sync.drop_removed_fields = value == "true";
  } else if (path == "serve.default_mode") {
    if (value != "airtable" && value != "shadow" && value != "postgres") {
      return bad("must be airtable, shadow or postgres");
    }
    config.serve_default_mode = value;
  } else {
    return InvalidArgumentError(fmt::format("{}: unknown key '{}'", origin, path));
  }
  return Status::Ok();
}

std::optional<fs::path> ChooseFile(const Environment& env,
                                   const std::optional<std::string>& explicit_path) {
  if (explicit_path) return fs::path(*explicit_path);
  if (auto from_env = env.Get("AIRPG_CONFIG"); from_env && !from_env->empty()) return *from_env;
  if (fs::exists("airpg.yaml")) return fs::path("airpg.yaml");
  return std::nullopt;
}

}  // namespace

const std::vector<ConfigKey>& ConfigKeys() {
  static const std::vector<ConfigKey> keys = {
      {"home", "AIRPG_HOME", "data directory (embedded Postgres, state)"},
      {"log.level", "AIRPG_LOG_LEVEL", "debug | info | warn | error | off"},
      {"log.format", "AIRPG_LOG_FORMAT", "auto | text | json"},
      {"embedded.bin_dir", "AIRPG_EMBEDDED_BIN_DIR",
       "Postgres server binaries (default: discover)"},
      {"embedded.tcp_port", "AIRPG_EMBEDDED_TCP_PORT",
       "also listen on 127.0.0.1:PORT (0: socket only)"},
      {"airtable.endpoint_url", "AIRPG_AIRTABLE_ENDPOINT_URL",
       "Airtable API base URL (also AIRTABLE_ENDPOINT_URL)"},
      {"airtable.content_url", "AIRPG_AIRTABLE_CONTENT_URL",
       "host of uploadAttachment (default https://content.airtable.com with Airtable's endpoint, "
       "else the endpoint)"},
      {"airtable.base_id", "AIRPG_AIRTABLE_BASE_ID", "default base for migrate, verify, … (app…)"},
      {"airtable.per_base_limit", "AIRPG_AIRTABLE_PER_BASE_LIMIT",
       "airpg's requests/s per base (default 3 of Airtable's 5, two left for other clients)"},
      {"airtable.per_token_limit", "AIRPG_AIRTABLE_PER_TOKEN_LIMIT",
       "requests/s per token (Airtable: 50)"},
      {"attachments.max_mb", "AIRPG_ATTACHMENTS_MAX_MB",
       "attachments larger than this many MiB are rejected, not downloaded (default 5120)"},
      {"migrate.keep_backups", "AIRPG_MIGRATE_KEEP_BACKUPS",
       "replaced schemas kept for `airpg rollback` (default 3)"},
      {"sync.poll_seconds", "AIRPG_SYNC_POLL_SECONDS",
       "safety-poll interval of every table (default: by lane, 10/60/300 s)"},
      {"sync.sweep_minutes", "AIRPG_SYNC_SWEEP_MINUTES", "delete sweep interval (default 10)"},
      {"sync.view_refresh", "AIRPG_SYNC_VIEW_REFRESH",
       "seconds between reads of the views of changed tables, for `view` in postgres mode "
       "(default 60; 0: at every sync step)"},
      {"sync.max_delete_share", "AIRPG_SYNC_MAX_DELETE_SHARE",
       "a sweep that would delete more of a table is held (default 0.2)"},
      {"sync.min_held_deletes", "AIRPG_SYNC_MIN_HELD_DELETES",
       "a sweep deleting this many rows or fewer is never held, whatever the share (default "
       "10)"},
      {"sync.port", "AIRPG_SYNC_PORT",
       "port of sync's webhook/metrics endpoints (default 8719; 0: any free port)"},
      {"sync.authority", "AIRPG_SYNC_AUTHORITY",
       "who writes every table by default: airtable (Postgres read-only) | postgres | both"},
      {"sync.conflict", "AIRPG_SYNC_CONFLICT",
       "rule where both write: airtable_wins | postgres_wins | latest (default) | manual"},
      {"sync.postgres_user", "AIRPG_SYNC_POSTGRES_USER",
       "collaborator (usr…) stamped as createdBy/lastModifiedBy of rows Postgres writes (default "
       "none: NULL)"},
      {"sync.debounce_ms", "AIRPG_SYNC_DEBOUNCE_MS",
       "a Postgres change is sent once its record was quiet this long (default 200)"},
      {"sync.attachment_upload_max_bytes", "AIRPG_SYNC_ATTACHMENT_UPLOAD_MAX_BYTES",
       "attachments added in Postgres up to this size are uploaded, larger ones offered as a "
       "signed URL on the sync's endpoints (default 5242880)"},
      {"sync.tables", "AIRPG_SYNC_TABLES",
       "per-table settings as YAML, e.g. {Clients: {authority: both, fields: {Notes: airtable}}}"},
      {"sync.drop_removed_fields", "AIRPG_SYNC_DROP_REMOVED_FIELDS",
       "a field deleted in Airtable: drop its column (default false: keep and mark it)"},
      {"serve.default_mode", "AIRPG_SERVE_DEFAULT_MODE",
       "airpg serve: route of tables not set by `airpg route set` (default airtable)"},
  };
  return keys;
}

fs::path DefaultHome(const Environment& env) {
  if (::geteuid() == 0) return "/var/lib/airpg";
  if (auto xdg = env.Get("XDG_DATA_HOME"); xdg && !xdg->empty()) return fs::path(*xdg) / "airpg";
  if (auto home = env.Get("HOME"); home && !home->empty()) {
    return fs::path(*home) / ".local" / "share" / "airpg";
  }
  return fs::temp_directory_path() / fmt::format("airpg-{}", ::geteuid());
}

Result<Config> LoadConfig(const Environment& env, const std::optional<std::string>& explicit_path) {
  Config config;
  config.home = DefaultHome(env);

  if (std::optional<fs::path> file = ChooseFile(env, explicit_path)) {
    if (!fs::exists(*file)) {
      return InvalidArgumentError(fmt::format("config file {} does not exist", file->string()));
    }
    std::map<std::string, std::pair<std::string, int>> values;
    try {
      YAML::Node root = YAML::LoadFile(file->string());
      if (!root.IsNull()) AIRPG_RETURN_IF_ERROR(Flatten(root, "", &values));
    } catch (const YAML::Exception& e) {
      return InvalidArgumentError(fmt::format("{}: not valid YAML: {}", file->string(), e.what()));
    }
    for (const auto& [path, entry] : values) {
      std::string origin = fmt::format("{}:{}", file->string(), entry.second);
      for (const char* secret : kSecretKeys) {
        if (path == secret) {
          return InvalidArgumentError(fmt::format(
              "{}: '{}' is a secret and is read from the environment only (DATABASE_URL, "
              "AIRTABLE_TOKEN), never from a file",
              origin, path));
        }
      }
      AIRPG_RETURN_IF_ERROR(Apply(config, path, entry.first, origin));
    }
    config.source = *file;
  }

  // AIRTABLE_ENDPOINT_URL is the variable airtable.js reads; AIRPG_* wins over it.
  if (auto url = env.Get("AIRTABLE_ENDPOINT_URL"); url && !url->empty()) {
    AIRPG_RETURN_IF_ERROR(Apply(config, "airtable.endpoint_url", *url, "AIRTABLE_ENDPOINT_URL"));
  }
  // Set but empty is a mistake (`AIRPG_HOME=$UNSET airpg …`), not "use the default".
  if (auto home = env.Get("AIRPG_HOME"); home && home->empty()) {
    return InvalidArgumentError(
        "AIRPG_HOME is set but empty: set it to an absolute path, or unset it for the default");
  }
  for (const ConfigKey& key : ConfigKeys()) {
    if (auto value = env.Get(key.env); value && !value->empty()) {
      AIRPG_RETURN_IF_ERROR(Apply(config, key.path, *value, key.env));
    }
  }

  if (auto url = env.Get("DATABASE_URL"); url && !url->empty()) config.database_url = *url;
  if (auto token = env.Get("AIRTABLE_TOKEN"); token && !token->empty()) {
    config.airtable_token = *token;
    RegisterSecret(*token);
  }
  if (auto key = env.Get("AIRPG_BLOB_SIGNING_KEY"); key && !key->empty()) {
    config.blob_signing_key = *key;
    RegisterSecret(*key);
  }
  return config;
}

}  // namespace airpg::cli
