#include "cli/cmd_route.h"

#include <fmt/core.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "api/api_base.h"
#include "api/routes.h"
#include "api/shadow_diffs.h"
#include "cli/airtable_access.h"
#include "cli/base_checks.h"
#include "cli/error_line.h"
#include "cli/exit_code.h"
#include "mapping/computed_view.h"
#include "pg/outbox_backlog.h"

namespace airpg::cli {
namespace {

using nlohmann::json;

}  // namespace

int RunRouteList(const Config& config, const RouteCliOptions& options) {
  Result<std::string> base_id = ResolveBaseId(config, options.base);
  if (!base_id.ok()) return Fail(base_id.status());
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  Result<api::ApiBase> base = api::LoadApiBase(db->conn, *base_id);
  if (!base.ok()) return Fail(base.status());
  Result<std::vector<api::Route>> routes = api::ListRoutes(db->conn, *base_id);
  if (!routes.ok()) return Fail(routes.status());
  json out = json::array();
  for (const auto& table : base->plan.tables) {
    std::string mode = config.serve_default_mode, updated;
    bool set = false;
    for (const api::Route& r : *routes) {
      if (r.table_id == table.table_id) {
        mode = std::string(api::RouteModeName(r.mode));
        updated = r.updated_at;
        set = true;
      }
    }
    out.push_back({{"table_id", table.table_id},
                   {"table", table.airtable_name},
                   {"mode", mode},
                   {"set", set},
                   {"updated_at", updated}});
  }
  if (options.json) {
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  for (const json& r : out) {
    std::cout << fmt::format("{}  {:<9} {}{}\n", r["table_id"].get<std::string>(),
                             r["mode"].get<std::string>(), r["table"].get<std::string>(),
                             r["set"].get<bool>() ? "" : "  (serve.default_mode)");
  }
  return kExitOk;
}

int RunRouteSet(const Config& config, const RouteCliOptions& options) {
  std::optional<api::RouteMode> mode = api::ParseRouteMode(options.mode);
  if (!mode) {
    PrintErrorLine(fmt::format("route set: mode must be airtable, shadow or postgres, not '{}'",
                               options.mode));
    return kExitUsage;
  }
  Result<std::string> base_id = ResolveBaseId(config, options.base);
  if (!base_id.ok()) return Fail(base_id.status());
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  Result<api::ApiBase> base = api::LoadApiBase(db->conn, *base_id);
  if (!base.ok()) return Fail(base.status());
  const mapping::TablePlan* table = base->FindTable(options.table);
  for (const auto& t : base->plan.tables) {
    if (table == nullptr && t.table_name == options.table) table = &t;
  }
  if (table == nullptr) {
    std::string known;
    for (const auto& t : base->plan.tables) known += (known.empty() ? "" : ", ") + t.airtable_name;
    PrintErrorLine(fmt::format("route set: base {} has no table '{}' (it has: {})", *base_id,
                               options.table, known));
    return kExitUsage;
  }
  if (*mode == api::RouteMode::kPostgres && !options.force) {
    // Rows written from Postgres would keep these fields' last Airtable
    // values until the outbox's push comes back: refuse unless told.
    mapping::ComputedPlan computed = mapping::PlanComputed(base->plan, base->schema);
    std::string fields;
    for (const mapping::NotComputedField& f : computed.not_computed) {
      if (f.table_id != table->table_id) continue;
      fields += fmt::format("\n  {} ({}, {}): {}", f.field_name, f.field_id, f.type_name, f.reason);
    }
    if (!fields.empty()) {
      PrintErrorLine(fmt::format(
          "route set: {} has computed fields Postgres does not compute; route it to postgres "
          "with --force to serve their last synced values:{}",
          table->airtable_name, fields));
      return kExitUsage;
    }
  }
  if (Status set = api::SetRoute(db->conn, *base_id, table->table_id, *mode); !set.ok()) {
    return Fail(set);
  }
  std::cout << fmt::format("{} ({}) → {}\n", table->airtable_name, table->table_id,
                           api::RouteModeName(*mode));
  if (*mode != api::RouteMode::kPostgres) {
    // Proxied requests wait for these (docs/serve.md, "Flipping a route").
    Result<int64_t> pending = pg::LastPendingChange(db->conn, table->table_id);
    if (pending.ok() && *pending > 0) {
      std::cout << "  Postgres writes to it are still in the outbox: requests proxied to "
                   "Airtable wait until they are sent\n";
    }
  }
  return kExitOk;
}

int RunShadowReport(const Config& config, const RouteCliOptions& options) {
  Result<std::string> base_id = ResolveBaseId(config, options.base);
  if (!base_id.ok()) return Fail(base_id.status());
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  Result<std::vector<api::ShadowSummary>> rows = api::SummarizeShadowDiffs(db->conn, *base_id);
  if (!rows.ok()) return Fail(rows.status());
  if (options.json) {
    json out = json::array();
    for (const auto& r : *rows) {
      out.push_back({{"table_id", r.table_id},
                     {"field", r.field},
                     {"count", r.count},
                     {"last_at", r.last_at},
                     {"last_record_id", r.last_record_id}});
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  if (rows->empty()) std::cout << "no differences recorded\n";
  for (const auto& r : *rows) {
    std::cout << fmt::format("{}  {:<24} {:>6}  last {} ({})\n", r.table_id,
                             r.field.empty() ? "(missing record)" : r.field, r.count, r.last_at,
                             r.last_record_id);
  }
  return kExitOk;
}

}  // namespace airpg::cli
