#include "cli/cmd_serve.h"

#include <fmt/core.h>

#include <iostream>
#include <optional>
#include <thread>

#include "api/api_service.h"
#include "api/fault_injection.h"
#include "cli/airtable_access.h"
#include "cli/authority_config.h"
#include "cli/base_checks.h"
#include "cli/error_line.h"
#include "cli/exit_code.h"
#include "cli/interrupt.h"
#include "cli/serve_schema_mirror.h"
#include "daemon/sync_service.h"
#include "daemon/webhook_receiver.h"
#include "http/server.h"
#include "sync/computed_views.h"
#include "sync/proxied_writes.h"

namespace airpg::cli {
namespace {

int Fail(const Status& status) {
  PrintErrorLine(status.message());
  return ExitCodeFor(status);
}

}  // namespace

int RunServe(const Config& config, const ServeCliOptions& options) {
  // SIGINT/SIGTERM: in-flight requests finish, the sync's step commits or
  // rolls back, then exit 0.
  InterruptScope interrupt;
  if (Status listen = http::CheckListenAddress(options.listen_host, options.listen_port);
      !listen.ok()) {
    PrintErrorLine(fmt::format("--listen/--port: {}", listen.message()));
    return kExitUsage;
  }
  std::vector<std::string> bases = options.bases;
  if (bases.empty()) {
    Result<std::string> base_id = ResolveBaseId(config, std::nullopt);
    if (!base_id.ok()) return Fail(base_id.status());
    bases.push_back(*base_id);
  }
  Result<AirtableAccess> airtable = OpenAirtable(config, interrupt.token());
  if (!airtable.ok()) return Fail(airtable.status());
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  for (const std::string& base : bases) {
    if (Status migrated = RequireMigratedBase(db->conn, base); !migrated.ok()) {
      return Fail(migrated);
    }
    // Who Postgres writes as: createdBy/lastModifiedBy (issue 18).
    if (Status user = sync::SetPostgresUser(db->conn, base, config.sync.postgres_user);
        !user.ok()) {
      return Fail(user);
    }
  }

  api::ApiServiceOptions api_options;
  api_options.base_ids = bases;
  api_options.conninfo = db->conninfo;
  api_options.pool_size = options.pool_size;
  api_options.default_mode =
      api::ParseRouteMode(config.serve_default_mode).value_or(api::RouteMode::kAirtable);
  api_options.upstream = airtable->client.get();
  // A write proxied to Airtable is in Postgres when it is acknowledged, so a
  // flip to postgres right after it serves it (docs/serve.md).
  api_options.on_proxied_write = [](pg::Connection& conn, const std::string& base_id,
                                    const std::string& table_id,
                                    const api::ProxiedChanges& changes) {
    return sync::ApplyProxiedWrite(conn, base_id, table_id, changes.upserts, changes.destroyed);
  };
  sync::SchemaSyncOptions schema_options;
  schema_options.drop_removed = config.sync.drop_removed_fields;
  api_options.mirror_schema = MakeSchemaMirror(*airtable->client, db->conninfo, schema_options);
  api::ApiService api(api_options);

  auto service_options = [&](const std::string& base) {
    daemon::SyncServiceOptions so;
    so.base_id = base;
    so.conninfo = db->conninfo;
    so.loopback_pings = options.loopback_pings;
    if (!options.public_url.empty()) {
      std::string url = options.public_url;
      while (!url.empty() && url.back() == '/') url.pop_back();
      so.notification_url = url + std::string(daemon::kWebhookPath);
      so.public_url = url;
    }
    so.max_attachment_bytes = config.attachments_max_mb << 20;
    so.syncer.sweep_interval = std::chrono::minutes(config.sync.sweep_minutes);
    so.syncer.view_refresh = std::chrono::seconds(config.sync.view_refresh_seconds);
    so.syncer.sweep.max_share = config.sync.max_delete_share;
    so.schema.drop_removed = config.sync.drop_removed_fields;
    // Two-way sync as `airpg sync` runs it: the authority matrix (which the
    // write guard enforces on the API's postgres-mode writes) and the outbox
    // that carries those writes to Airtable.
    so.authority = AuthorityConfigOf(config.sync);
    so.outbox.claim.debounce = std::chrono::milliseconds(config.sync.debounce_ms);
    so.outbox.max_delete_share = config.sync.max_delete_share;
    // Many serve processes may answer for one base (the API is stateless):
    // the one holding the base's lease syncs it, the others stand by.
    so.stand_by = true;
    so.outbox_attachments.upload_max_bytes = config.sync.attachment_upload_max_bytes;
    return so;
  };

  // The first base's service holds the one port: webhook pings (for every
  // base, by path), /metrics, health and the API; the others sync only.
  daemon::SyncServiceOptions first = service_options(bases[0]);
  first.endpoints.host = options.listen_host;
  first.endpoints.port = options.listen_port;
  first.endpoints.threads = options.threads;
  std::optional<api::FaultInjection> faults;
  if (options.inject_faults) faults.emplace();
  first.endpoints.api = [&api, &faults](const http::Request& request) {
    if (faults) {
      if (auto fault = faults->Intercept(request)) return *fault;
    }
    return api.Handle(request);
  };
  first.endpoints.extra_metrics = [&api] { return api.RenderMetrics(); };
  first.on_listening = [host = options.listen_host](int port) {
    std::cerr << fmt::format("airpg serve: listening on {} (API under /v0/)\n",
                             http::FormatHostPort(host, port));
  };
  std::vector<Status> others(bases.size());
  std::vector<std::jthread> syncs;
  for (size_t i = 1; i < bases.size(); ++i) {
    daemon::SyncServiceOptions so = service_options(bases[i]);
    so.serve_endpoints = false;
    syncs.emplace_back([&, so, i] {
      others[i] = daemon::RunSyncService(*airtable->client, so, interrupt.token());
    });
  }
  Status s = daemon::RunSyncService(*airtable->client, first, interrupt.token());
  syncs.clear();  // joins: they end with the same stop
  if (!s.ok()) return Fail(s);
  for (const Status& other : others) {
    if (!other.ok()) return Fail(other);
  }
  return kExitOk;
}

}  // namespace airpg::cli
