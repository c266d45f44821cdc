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
#include "cli/sync_service_config.h"
#include "daemon/sync_service.h"
#include "daemon/webhook_receiver.h"
#include "http/server.h"
#include "sync/computed_views.h"
#include "sync/proxied_writes.h"

namespace airpg::cli {
int RunServe(const Config& config, const ServeCliOptions& options) {
  // SIGINT/SIGTERM: in-flight requests finish, the sync's step commits or
  // rolls back, then exit 0.
  InterruptScope interrupt;
  // The same stable port as `airpg sync` (sync.port): a loopback hook's URL,
  // and so the hook and its payloads, survive a restart.
  const int port = options.listen_port.value_or(config.sync.port);
  if (Status listen = http::CheckListenAddress(options.listen_host, port); !listen.ok()) {
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
    return sync::ApplyProxiedWrite(conn, base_id, table_id, changes.upserts, changes.destroyed,
                                   changes.sent_at);
  };
  sync::SchemaSyncOptions schema_options;
  schema_options.drop_removed = config.sync.drop_removed_fields;
  api_options.mirror_schema = MakeSchemaMirror(*airtable->client, db->conninfo, schema_options,
                                               AuthorityConfigOf(config.sync));
  // Injected faults draw after authentication, as the emulator's do: a
  // request with a bad token is told so, not given a fault.
  std::optional<api::FaultInjection> faults;
  if (options.inject_faults) {
    faults.emplace();
    api_options.after_auth = [&faults](const http::Request& request) {
      return faults->Intercept(request);
    };
  }
  api::ApiService api(api_options);

  SyncFlags flags{options.public_url, options.loopback_pings, options.attachments_dir, 0};
  std::vector<daemon::SyncServiceOptions> services;
  for (const std::string& base : bases) {
    // Every setting `airpg sync` applies (cli/sync_service_config.h).
    daemon::SyncServiceOptions so = SyncServiceOptionsFor(config, flags, base, db->conninfo);
    if (Status tables =
            ApplyTableSettingsFor(config, flags, *airtable->client, db->conn, base, so.syncer);
        !tables.ok()) {
      return Fail(tables);  // an unknown sync.tables entry: exit 2
    }
    // Many serve processes may answer for one base (the API is stateless):
    // the one holding the base's lease syncs it, the others stand by.
    so.stand_by = true;
    services.push_back(std::move(so));
  }

  // The first base's service holds the one port: webhook pings (for every
  // base, by path), /metrics, health and the API; the others sync only.
  daemon::SyncServiceOptions& first = services[0];
  first.endpoints.host = options.listen_host;
  first.endpoints.port = port;
  first.endpoints.threads = options.threads;
  first.endpoints.api = [&api, &faults](const http::Request& request) {
    // Only the control endpoints (/__airpg/…) are answered before the API.
    if (faults && request.target.rfind(api::FaultInjection::kPrefix, 0) == 0) {
      if (auto control = faults->Intercept(request)) return *control;
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
    daemon::SyncServiceOptions so = services[i];
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
