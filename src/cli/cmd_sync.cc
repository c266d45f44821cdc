#include "cli/cmd_sync.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "blobs/stored_attachments.h"
#include "cli/airtable_access.h"
#include "cli/base_checks.h"
#include "cli/error_line.h"
#include "cli/exit_code.h"
#include "cli/interrupt.h"
#include "cli/job_progress.h"
#include "cli/sync_service_config.h"
#include "daemon/sync_service.h"
#include "daemon/webhook_receiver.h"
#include "http/server.h"
#include "sync/attachment_queue.h"
#include "sync/computed_views.h"
#include "sync/dead_letter_replay.h"
#include "sync/dead_letters.h"
#include "sync/delete_sweep.h"
#include "sync/live_schema.h"
#include "sync/outbox_store.h"

namespace airpg::cli {
namespace {

using nlohmann::json;

// A letter id that does not exist is bad input, as is an unknown base.
Status LetterIdGiven(const Status& status) {
  if (status.code() != StatusCode::kNotFound) return status;
  return InvalidArgumentError(status.message());
}

std::string OrNone(std::string_view text) { return text.empty() ? "-" : std::string(text); }

}  // namespace

int RunSync(const Config& config, const SyncCliOptions& options) {
  // SIGINT/SIGTERM: the step in progress commits or rolls back, then exit 0.
  InterruptScope interrupt;
  const int port = options.listen_port.value_or(config.sync.port);
  if (Status listen = http::CheckListenAddress(options.listen_host, port); !listen.ok()) {
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

  SyncFlags flags{options.public_url, options.loopback_pings, options.attachments_dir,
                  options.poll_seconds};
  daemon::SyncServiceOptions so = SyncServiceOptionsFor(config, flags, *base_id, db->conninfo);
  so.endpoints.host = options.listen_host;
  so.endpoints.port = port;
  so.on_listening = [host = options.listen_host](int port) {
    // The host is an IP address (checked above), so this is the bound address.
    std::cerr << fmt::format("airpg sync: listening on {} ({} for Airtable's pings)\n",
                             http::FormatHostPort(host, port), daemon::kWebhookPath);
  };
  if (Status tables =
          ApplyTableSettingsFor(config, flags, *airtable->client, db->conn, *base_id, so.syncer);
      !tables.ok()) {
    return Fail(tables);  // an unknown sync.tables entry: exit 2
  }
  // The first step is the catch-up (every table polled since the migration
  // or the last sync): shown per table like migrate's load, then no more.
  std::unique_ptr<ProgressReporter> progress = StderrProgress("sync", config);
  bool catching_up = progress != nullptr;
  if (catching_up) {
    so.syncer.poll.on_progress = [&](const sync::PollProgress& p) {
      if (!catching_up) return;
      progress->Update({p.table_id, p.table_name, p.records, p.pages, std::nullopt, p.done, false});
    };
  }
  so.on_step = [&](const sync::StepReport& r) {
    if (catching_up) {
      catching_up = false;
      progress->Finish();
    }
    if (QuietProgress() || r.changed + r.tombstoned + r.errors == 0) return;  // --quiet
    std::cerr << fmt::format("airpg sync: {} changed, {} deleted, {} payloads, {} requests{}\n",
                             r.changed, r.tombstoned, r.payloads, r.requests,
                             r.errors ? fmt::format(", {} errors", r.errors) : "");
  };
  // Before any Postgres write is stamped: who Postgres writes as (issue 18).
  if (Status user = sync::SetPostgresUser(db->conn, *base_id, config.sync.postgres_user);
      !user.ok()) {
    return Fail(user);
  }
  Status s = daemon::RunSyncService(*airtable->client, so, interrupt.token());
  if (!s.ok()) return Fail(s);
  return kExitOk;
}

// `airpg dlq list|replay --outbox`: Postgres changes Airtable refused
// (sync/outbox_store.h); a replay makes them pending for the running sync.
static int RunOutboxDlq(const Config& config, const SyncCliOptions& options, pg::Connection& conn) {
  Result<std::string> base = ResolveBaseId(config, options.base);
  if (!base.ok()) return Fail(base.status());
  if (options.dlq_action == "replay") {
    // An id the outbox never had is bad input (exit 2), not "none was dead".
    auto unknown = sync::UnknownChanges(conn, *base, options.ids);
    if (!unknown.ok()) return Fail(unknown.status());
    if (!unknown->empty()) {
      PrintErrorLine(
          fmt::format("no outbox change {} in base {}", fmt::join(*unknown, ", "), *base));
      return kExitUsage;
    }
    auto replayed = sync::ReplayDeadChanges(conn, *base, options.ids);
    if (!replayed.ok()) return Fail(replayed.status());
    // Dead attachment cells too: their ids come from the same sequence.
    auto cells = sync::ReplayDeadAttachmentCells(conn, *base, options.ids);
    if (!cells.ok()) return Fail(cells.status());
    const int64_t total = *replayed + *cells;
    std::cout << (options.json ? json{{"replayed", total}}.dump(2)
                               : fmt::format("{} changes pending again", total))
              << "\n";
    return total > 0 ? kExitOk : kExitFailed;
  }
  auto dead = sync::ListDeadChanges(conn, *base);
  if (!dead.ok()) return Fail(dead.status());
  auto dead_cells = sync::ListDeadAttachmentCells(conn, *base);
  if (!dead_cells.ok()) return Fail(dead_cells.status());
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
  for (const auto& c : *dead_cells) {
    out.push_back({{"id", c.id},
                   {"table_id", c.table_id},
                   {"record_id", c.record_id},
                   {"field_id", c.field_id},
                   {"kind", "attachments"},
                   {"reason", c.reason}});
  }
  if (options.json) {
    std::cout << out.dump(2) << "\n";
  } else if (dead->empty() && dead_cells->empty()) {
    std::cout << "no dead outbox changes\n";
  } else {
    for (const auto& d : *dead) {
      std::cout << fmt::format("{:>6} {} row {} {}  {}\n", d.outbox_id, d.table_id, d.row_id,
                               d.error_type, d.reason);
    }
    for (const auto& c : *dead_cells) {
      std::cout << fmt::format("{:>6} {} {} {} attachments  {}\n", c.id, c.table_id, c.record_id,
                               c.field_id, c.reason);
    }
  }
  return kExitOk;
}

int RunDlq(const Config& config, const SyncCliOptions& options) {
  if (!options.status.empty() && !sync::IsDeadLetterStatus(options.status)) {
    return Fail(InvalidArgumentError(fmt::format("--status {}: not a dead letter status ({})",
                                                 options.status,
                                                 fmt::join(sync::kDeadLetterStatuses, ", "))));
  }
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  // A letter of a whole payload has no table or record, one of a whole record no field: null.
  auto letter_json = [](const sync::DeadLetter& d) {
    auto or_null = [](const std::string& text) { return text.empty() ? json() : json(text); };
    return json{{"id", d.id},
                {"base_id", d.base_id},
                {"table_id", or_null(d.table_id)},
                {"record_id", or_null(d.record_id)},
                {"field_id", or_null(d.field_id)},
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
      constexpr const char* kRow = "{:>6} {:<10} {:<17} {:<17} {:<17} {:>8} {:<25} {}\n";
      std::cout << fmt::format(kRow, "ID", "STATUS", "TABLE", "RECORD", "FIELD", "ATTEMPTS",
                               "UPDATED", "REASON");
      for (const auto& d : *letters) {
        std::cout << fmt::format(kRow, d.id, d.status, OrNone(d.table_id), OrNone(d.record_id),
                                 OrNone(d.field_id), d.attempts, d.updated_at, d.reason);
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
  // The plan the live tables were built by (the catalog's), as the sync applies with.
  if (Status migrated = RequireMigratedBase(db->conn, first->base_id); !migrated.ok()) {
    return Fail(migrated);
  }
  Result<sync::LiveBase> loaded = sync::LoadLiveBase(db->conn, first->base_id);
  if (!loaded.ok()) return Fail(loaded.status());
  const sync::LiveBase& live = *loaded;
  // Attachment cells are stored the way the sync stores them.
  auto attachments = blobs::StoredAttachments::Open(db->conninfo, options.attachments_dir,
                                                    config.attachments_max_mb << 20);
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

int RunReleaseDeletes(const Config& config, const SyncCliOptions& options) {
  Result<std::string> base_id = ResolveBaseId(config, options.base);
  if (!base_id.ok()) return Fail(base_id.status());
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  if (Status migrated = RequireMigratedBase(db->conn, *base_id); !migrated.ok()) {
    return Fail(migrated);
  }
  Result<sync::LiveBase> live = sync::LoadLiveBase(db->conn, *base_id);
  if (!live.ok()) return Fail(live.status());
  Result<AirtableAccess> airtable = OpenAirtable(config);
  if (!airtable.ok()) return Fail(airtable.status());
  // Attachment cells are stored the way the sync stores them.
  auto attachments = blobs::StoredAttachments::Open(db->conninfo, options.attachments_dir,
                                                    config.attachments_max_mb << 20);
  if (!attachments.ok()) return Fail(attachments.status());
  sync::RecordApplier applier(*live, (*attachments)->source());
  sync::SweepOptions sweep;
  sweep.priority = airtable::Priority::kIncremental;  // an operator is waiting
  auto released = sync::ReleaseHeldDeletes(*airtable->client, db->conn, applier, *live,
                                           options.release_table, sweep);
  if (!released.ok()) return Fail(released.status());
  json out = {{"table", options.release_table},
              {"listed", released->listed},
              {"live", released->live},
              {"tombstoned", released->applied.tombstoned}};
  std::cout << (options.json ? out.dump(2)
                             : fmt::format("{}: {} rows tombstoned ({} live rows, {} records in "
                                           "Airtable)",
                                           options.release_table, released->applied.tombstoned,
                                           released->live, released->listed))
            << "\n";
  return kExitOk;
}

}  // namespace airpg::cli
