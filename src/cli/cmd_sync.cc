#include "cli/cmd_sync.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/airtable_access.h"
#include "cli/authority_config.h"
#include "cli/base_checks.h"
#include "cli/error_line.h"
#include "cli/exit_code.h"
#include "cli/interrupt.h"
#include "daemon/stored_attachments.h"
#include "daemon/sync_service.h"
#include "daemon/webhook_receiver.h"
#include "http/server.h"
#include "migrate/migrator.h"
#include "sync/dead_letter_replay.h"
#include "sync/dead_letters.h"
#include "sync/lane.h"
#include "sync/outbox_store.h"

namespace airpg::cli {
namespace {

using nlohmann::json;

int Fail(const Status& status) {
  PrintErrorLine(status.message());
  return ExitCodeFor(status);
}

// The values `dlq list --status` takes (sync/dead_letters.h).
constexpr std::array<std::string_view, 5> kLetterStatuses = {"retrying", "dead", "replayed",
                                                             "superseded", "dropped"};

// A letter id that does not exist is bad input, as is an unknown base.
Status LetterIdGiven(const Status& status) {
  if (status.code() != StatusCode::kNotFound) return status;
  return InvalidArgumentError(status.message());
}

std::string OrNone(std::string_view text) { return text.empty() ? "-" : std::string(text); }

// The configured lanes and poll intervals, by table id. `poll_seconds` (the
// flag, else sync.poll_seconds) applies to every table without a lane or
// interval of its own. A table the base does not have is an error naming the ones it has.
Status ApplyTableSettings(const mapping::SchemaPlan& plan, const SyncConfig& sync, int poll_seconds,
                          sync::SyncerOptions& out) {
  if (poll_seconds > 0) {
    for (const auto& t : plan.tables) {
      out.poll_intervals[t.table_id] = std::chrono::seconds(poll_seconds);
    }
  }
  for (const auto& [name, settings] : sync.tables) {
    const mapping::TablePlan* table = nullptr;
    for (const auto& t : plan.tables) {
      if (t.table_id == name || t.airtable_name == name || t.table_name == name) table = &t;
    }
    if (table == nullptr) {
      std::string known;
      for (const auto& t : plan.tables) known += (known.empty() ? "" : ", ") + t.airtable_name;
      return InvalidArgumentError(
          fmt::format("sync.tables.{}: the base has no such table (it has: {})", name, known));
    }
    if (!settings.lane.empty()) {
      out.lanes[table->table_id] = *sync::ParseLane(settings.lane);
      out.poll_intervals.erase(table->table_id);  // the lane's own interval
    }
    if (settings.poll_seconds > 0) {
      out.poll_intervals[table->table_id] = std::chrono::seconds(settings.poll_seconds);
    }
  }
  return Status::Ok();
}

}  // namespace

int RunSync(const Config& config, const SyncCliOptions& options) {
  // SIGINT/SIGTERM: the step in progress commits or rolls back, then exit 0.
  InterruptScope interrupt;
  if (Status listen = http::CheckListenAddress(options.listen_host, options.listen_port);
      !listen.ok()) {
    PrintErrorLine(fmt::format("--listen/--port: {}", listen.message()));
    return kExitUsage;
  }
  Result<std::string> base_id = ResolveBaseId(config, options.base);
  if (!base_id.ok()) return Fail(base_id.status());
  Result<AirtableAccess> airtable = OpenAirtable(config, interrupt.token());
  if (!airtable.ok()) return Fail(airtable.status());
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  if (Status migrated = RequireMigratedBase(db->conn, *base_id); !migrated.ok()) {
    return Fail(migrated);
  }

  daemon::SyncServiceOptions so;
  so.base_id = *base_id;
  so.conninfo = db->conninfo;
  so.endpoints.host = options.listen_host;
  so.endpoints.port = options.listen_port;
  so.loopback_pings = options.loopback_pings;
  if (!options.public_url.empty()) {
    std::string url = options.public_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    so.notification_url = url + std::string(daemon::kWebhookPath);
  }
  so.attachments_dir = options.attachments_dir;
  so.max_attachment_bytes = config.attachments_max_mb << 20;
  so.on_listening = [host = options.listen_host](int port) {
    // The host is an IP address (checked above), so this is the bound address.
    std::cerr << fmt::format("airpg sync: listening on {} ({} for Airtable's pings)\n",
                             http::FormatHostPort(host, port), daemon::kWebhookPath);
  };
  so.syncer.sweep_interval = std::chrono::minutes(config.sync.sweep_minutes);
  so.syncer.sweep.max_share = config.sync.max_delete_share;
  so.schema.drop_removed = config.sync.drop_removed_fields;
  so.authority = AuthorityConfigOf(config.sync);
  so.outbox.claim.debounce = std::chrono::milliseconds(config.sync.debounce_ms);
  so.outbox.max_delete_share = config.sync.max_delete_share;
  const int poll_seconds =
      options.poll_seconds > 0 ? options.poll_seconds : config.sync.poll_seconds;
  if (poll_seconds > 0 || !config.sync.tables.empty()) {
    Result<mapping::SchemaPlan> plan =
        migrate::PlanBase(*airtable->client, &db->conn, *base_id, {});
    if (!plan.ok()) return Fail(plan.status());
    Status lanes = ApplyTableSettings(*plan, config.sync, poll_seconds, so.syncer);
    if (!lanes.ok()) {
      PrintErrorLine(lanes.message());
      return kExitUsage;
    }
  }
  so.on_step = [](const sync::StepReport& r) {
    if (r.changed + r.tombstoned + r.errors == 0) return;
    std::cerr << fmt::format("airpg sync: {} changed, {} deleted, {} payloads, {} requests{}\n",
                             r.changed, r.tombstoned, r.payloads, r.requests,
                             r.errors ? fmt::format(", {} errors", r.errors) : "");
  };
  Status s = daemon::RunSyncService(*airtable->client, so, interrupt.token());
  if (!s.ok()) return Fail(s);
  return kExitOk;
}

int RunStatus(const Config& config, const SyncCliOptions& options) {
  Result<std::string> base_id = ResolveBaseId(config, options.base);
  if (!base_id.ok()) return Fail(base_id.status());
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  if (Status migrated = RequireMigratedBase(db->conn, *base_id); !migrated.ok()) {
    return Fail(migrated);
  }
  Result<pg::Rows> tables = db->conn.Exec(
      "SELECT t.table_id, t.table_name, coalesce(s.lane, 'normal'), "
      "coalesce(to_char(s.last_poll_at, 'YYYY-MM-DD HH24:MI:SS'), ''), "
      "coalesce(to_char(s.last_sweep_at, 'YYYY-MM-DD HH24:MI:SS'), ''), "
      "coalesce(s.held_deletes ->> 'missing', ''), "
      "(SELECT count(*) FROM airpg.dead_letters d WHERE d.table_id = t.table_id AND "
      "d.status IN ('retrying', 'dead')), "
      "coalesce((SELECT a.authority FROM airpg.sync_authority a WHERE a.table_id = t.table_id), "
      "'airtable') "
      "FROM airpg.tables t LEFT JOIN airpg.sync_tables s USING (table_id) "
      "WHERE t.base_id = $1 ORDER BY t.table_name",
      {*base_id});
  if (!tables.ok()) return Fail(tables.status());
  Result<pg::Rows> lag = db->conn.Exec(
      "SELECT count(*), coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_ms), 0), "
      "coalesce(percentile_cont(0.95) WITHIN GROUP (ORDER BY lag_ms), 0), "
      "coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY lag_ms), 0), "
      "(SELECT coalesce(to_char(max(last_ping_at), 'YYYY-MM-DD HH24:MI:SS'), '') "
      "FROM airpg.sync_bases WHERE base_id = $1), "
      "(SELECT coalesce(max(cursor), 0) FROM airpg.sync_bases WHERE base_id = $1) "
      "FROM airpg.sync_events WHERE base_id = $1 AND kind = 'ping_lag' "
      "AND at > now() - interval '24 hours'",
      {*base_id});
  if (!lag.ok()) return Fail(lag.status());
  Result<pg::Rows> table_lag = db->conn.Exec(
      "SELECT table_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_ms), "
      "percentile_cont(0.95) WITHIN GROUP (ORDER BY lag_ms), "
      "percentile_cont(0.99) WITHIN GROUP (ORDER BY lag_ms) "
      "FROM airpg.sync_events WHERE base_id = $1 AND kind = 'ping_lag' AND table_id IS NOT NULL "
      "AND at > now() - interval '24 hours' GROUP BY table_id",
      {*base_id});
  if (!table_lag.ok()) return Fail(table_lag.status());
  std::map<std::string, json> lag_by_table;
  for (int i = 0; i < table_lag->size(); ++i) {
    auto ms = [&](int c) { return std::stod(std::string(table_lag->Get(i, c))); };
    lag_by_table[std::string(table_lag->Get(i, 0))] = {
        {"p50", ms(1)}, {"p95", ms(2)}, {"p99", ms(3)}};
  }
  auto num = [&](int c) { return std::stod(std::string(lag->Get(0, c))); };
  json out = {{"base_id", *base_id},
              {"pings_24h", static_cast<int64_t>(num(0))},
              {"lag_ms", {{"p50", num(1)}, {"p95", num(2)}, {"p99", num(3)}}},
              {"last_ping_at", std::string(lag->Get(0, 4))},
              {"cursor", static_cast<int64_t>(num(5))},
              {"tables", json::array()}};
  for (int i = 0; i < tables->size(); ++i) {
    auto lag_of = lag_by_table.find(std::string(tables->Get(i, 0)));
    out["tables"].push_back({{"table_id", std::string(tables->Get(i, 0))},
                             {"lag_ms", lag_of == lag_by_table.end() ? json() : lag_of->second},
                             {"table", std::string(tables->Get(i, 1))},
                             {"lane", std::string(tables->Get(i, 2))},
                             {"last_poll_at", std::string(tables->Get(i, 3))},
                             {"last_sweep_at", std::string(tables->Get(i, 4))},
                             {"held_deletes", std::string(tables->Get(i, 5))},
                             {"dead_letters", std::stoll(std::string(tables->Get(i, 6)))},
                             {"authority", std::string(tables->Get(i, 7))}});
  }
  if (options.json) {
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("base {}: payload cursor {}, last ping {}\n", *base_id,
                           out["cursor"].get<int64_t>(), OrNone(lag->Get(0, 4)));
  std::cout << fmt::format(
      "ping → commit lag (24 h, {} pings): p50 {:.0f} ms, p95 {:.0f} ms, "
      "p99 {:.0f} ms\n",
      out["pings_24h"].get<int64_t>(), num(1), num(2), num(3));
  std::cout << fmt::format("{:<32} {:<7} {:<9} {:>17} {:<20} {:<20} {:>6} {}\n", "table", "lane",
                           "authority", "lag p50/p99 (ms)", "last poll", "last sweep", "dlq",
                           "held deletes");
  for (const auto& t : out["tables"]) {
    std::string lag = t["lag_ms"].is_null()
                          ? "-"
                          : fmt::format("{:.0f}/{:.0f}", t["lag_ms"]["p50"].get<double>(),
                                        t["lag_ms"]["p99"].get<double>());
    std::cout << fmt::format(
        "{:<32} {:<7} {:<9} {:>17} {:<20} {:<20} {:>6} {}\n", t["table"].get<std::string>(),
        t["lane"].get<std::string>(), t["authority"].get<std::string>(), lag,
        OrNone(t["last_poll_at"].get<std::string>()), OrNone(t["last_sweep_at"].get<std::string>()),
        t["dead_letters"].get<int64_t>(), OrNone(t["held_deletes"].get<std::string>()));
  }
  return kExitOk;
}

// `airpg dlq list|replay --outbox`: Postgres changes Airtable refused
// (sync/outbox_store.h); a replay makes them pending for the running sync.
static int RunOutboxDlq(const Config& config, const SyncCliOptions& options, pg::Connection& conn) {
  Result<std::string> base = ResolveBaseId(config, options.base);
  if (!base.ok()) return Fail(base.status());
  if (options.dlq_action == "replay") {
    auto replayed = sync::ReplayDeadChanges(conn, *base, options.ids);
    if (!replayed.ok()) return Fail(replayed.status());
    std::cout << (options.json ? json{{"replayed", *replayed}}.dump(2)
                               : fmt::format("{} changes pending again", *replayed))
              << "\n";
    return *replayed > 0 ? kExitOk : kExitFailed;
  }
  auto dead = sync::ListDeadChanges(conn, *base);
  if (!dead.ok()) return Fail(dead.status());
  json out = json::array();
  for (const auto& d : *dead) {
    out.push_back({{"id", d.outbox_id},
                   {"table_id", d.table_id},
                   {"row_id", d.row_id},
                   {"error_type", d.error_type},
                   {"reason", d.reason},
                   {"request", d.request},
                   {"response", d.response}});
  }
  if (options.json) {
    std::cout << out.dump(2) << "\n";
  } else if (dead->empty()) {
    std::cout << "no dead outbox changes\n";
  } else {
    for (const auto& d : *dead) {
      std::cout << fmt::format("{:>6} {} row {} {}  {}\n", d.outbox_id, d.table_id, d.row_id,
                               d.error_type, d.reason);
    }
  }
  return kExitOk;
}

int RunDlq(const Config& config, const SyncCliOptions& options) {
  if (!options.status.empty() && std::find(kLetterStatuses.begin(), kLetterStatuses.end(),
                                           options.status) == kLetterStatuses.end()) {
    return Fail(InvalidArgumentError(
        fmt::format("--status {}: not a dead letter status (retrying, dead, replayed, "
                    "superseded, dropped)",
                    options.status)));
  }
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  auto letter_json = [](const sync::DeadLetter& d) {
    return json{{"id", d.id},
                {"base_id", d.base_id},
                {"table_id", d.table_id},
                {"record_id", d.record_id},
                {"field_id", d.field_id},
                {"source", d.source},
                {"status", d.status},
                {"attempts", d.attempts},
                {"reason", d.reason},
                {"payload", d.payload},
                {"created_at", d.created_at},
                {"updated_at", d.updated_at}};
  };
  if (options.outbox) return RunOutboxDlq(config, options, db->conn);
  if (options.dlq_action == "list") {
    std::string base;
    if (options.base || !config.airtable_base_id.empty()) {
      Result<std::string> id = ResolveBaseId(config, options.base);
      if (!id.ok()) return Fail(id.status());
      base = *id;
      if (Status known = RequireKnownBase(db->conn, base); !known.ok()) return Fail(known);
    }
    auto letters = sync::ListDeadLetters(db->conn, base, options.status);
    if (!letters.ok()) return Fail(letters.status());
    json out = json::array();
    for (const auto& d : *letters) out.push_back(letter_json(d));
    if (options.json) {
      std::cout << out.dump(2) << "\n";
    } else if (letters->empty()) {
      std::cout << "no dead letters\n";
    } else {
      for (const auto& d : *letters) {
        std::cout << fmt::format("{:>6} {:<9} {} {} {}  {}\n", d.id, d.status, d.table_id,
                                 d.record_id, d.field_id, d.reason);
      }
    }
    return kExitOk;
  }
  if (options.ids.empty()) {
    PrintErrorLine(fmt::format("dlq {} needs at least one id", options.dlq_action));
    return kExitUsage;
  }
  if (options.dlq_action == "show") {
    for (int64_t id : options.ids) {
      auto d = sync::GetDeadLetter(db->conn, id);
      if (!d.ok()) return Fail(LetterIdGiven(d.status()));
      std::cout << letter_json(*d).dump(2) << "\n";
    }
    return kExitOk;
  }
  if (options.dlq_action == "drop") {
    Status s = sync::CloseDeadLetters(db->conn, options.ids, "dropped");
    if (!s.ok()) return Fail(LetterIdGiven(s));
    std::cout << "dropped\n";
    return kExitOk;
  }
  // replay: read the records again and apply them.
  auto first = sync::GetDeadLetter(db->conn, options.ids[0]);
  if (!first.ok()) return Fail(LetterIdGiven(first.status()));
  Result<AirtableAccess> airtable = OpenAirtable(config);
  if (!airtable.ok()) return Fail(airtable.status());
  Result<pg::Rows> schema =
      db->conn.Exec("SELECT schema_name FROM airpg.bases WHERE base_id = $1", {first->base_id});
  if (!schema.ok()) return Fail(schema.status());
  if (schema->empty()) return Fail(FailedPreconditionError("the letter's base is not migrated"));
  auto plan = migrate::PlanBase(*airtable->client, &db->conn, first->base_id, {});
  if (!plan.ok()) return Fail(plan.status());
  sync::LiveBase live{first->base_id, std::string(schema->Get(0, 0)), *plan};
  // Attachment cells are stored the way the sync stores them.
  auto attachments = daemon::StoredAttachments::Open(
      *airtable->client, db->conninfo, options.attachments_dir, config.attachments_max_mb << 20);
  if (!attachments.ok()) return Fail(attachments.status());
  sync::RecordApplier applier(live, (*attachments)->source());
  auto replayed = sync::ReplayDeadLetters(*airtable->client, db->conn, applier, live, options.ids);
  if (!replayed.ok()) return Fail(replayed.status());
  json out = {{"replayed", replayed->letters},
              {"applied", replayed->closed},
              {"still_open", replayed->letters - replayed->closed}};
  std::cout << (options.json
                    ? out.dump(2)
                    : fmt::format("{} replayed, {} applied, {} still open", replayed->letters,
                                  replayed->closed, replayed->letters - replayed->closed))
            << "\n";
  return replayed->closed == replayed->letters ? kExitOk : kExitFailed;
}

}  // namespace airpg::cli
