// Migrator: one migration run of a base, end to end — plan, stage, load every
// table (or, with --tables on a migrated base, load those and keep the others
// from the live schema: run_plan.h, keep_step.h), finish (links, constraints, comments, audit),
// check against the checksums read from Airtable, swap in. Resumable: a run killed anywhere is
// picked up by the next `Migrate` of the same base and plan (tables already
// loaded are kept), and ends as an uninterrupted run would. One migration per
// base at a time (a Postgres advisory lock).
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "airtable/client.h"
#include "base/result.h"
#include "blobs/attachment_fetcher.h"
#include "mapping/schema_plan.h"
#include "migrate/change_report.h"
#include "migrate/load_context.h"
#include "migrate/swap.h"
#include "migrate/verify.h"
#include "pg/connection.h"

namespace airpg::migrate {

struct MigrateOptions {
  std::string base_id;
  std::string schema;  // live schema; "" = the catalog's, else the base name's snake_case
  // Tables to read from Airtable (ids or names; empty = all). On a migrated
  // base the others are kept from the live schema, links and all.
  std::vector<std::string> tables;
  bool dry_run = false;  // plan and read, write nothing; the summary's `changes` say what would
  int keep_backups = kDefaultKeepBackups;  // replaced schemas kept (migrate.keep_backups)
  std::string attachments_dir;             // "" = bytes in Postgres (airpg.blobs)
  int64_t max_attachment_bytes = blobs::kDefaultMaxAttachmentBytes;  // larger ones are rejected
  int download_threads = 4;
  std::function<void(const TableSummary&)> on_progress;
  // The run stops with kCancelled once this is stopped (SIGINT/SIGTERM):
  // between pages, attachments and steps; the table being loaded is rolled
  // back and the run stays open for the next Migrate to resume. Also given
  // to the Airtable client (ClientOptions::stop) by whoever builds it.
  std::stop_token stop;
  // How long to wait for the base's migration lock. A migrate that was
  // killed holds it until the server notices its client is gone (about a
  // second, pg/connection.cc); past this wait another migrate is running.
  std::chrono::milliseconds lock_wait{10000};
};

struct MigrateSummary {
  int64_t run_id = 0;  // 0 in a dry run
  std::string base_name;
  std::string schema;
  std::string backup_schema;
  bool resumed = false;
  std::vector<TableSummary> tables;  // refreshed and kept ones (TableSummary::kept)
  int64_t link_rejects = 0;
  VerifyReport verify;               // of the refreshed tables; empty in a dry run
  std::vector<TableChange> changes;  // a dry run's report of what would change
  double seconds = 0;
  std::vector<std::string> warnings;
};

// The live schema a first migration of a base gives it: the snake_case of
// the base's name (later runs keep the catalog's).
std::string DefaultSchemaName(std::string_view base_name);

// The plan for a base as a migration now would make it (names from the catalog).
Result<mapping::SchemaPlan> PlanBase(airtable::Client& client, pg::Connection* conn,
                                     std::string_view base_id,
                                     const std::vector<std::string>& tables);

// kFailedPrecondition when another migration of the base is running or the
// post-load check finds differences (the run is marked failed; its staging
// schema is kept for inspection); kCancelled when options.stop was set (the
// run stays open and resumable).
Result<MigrateSummary> Migrate(airtable::Client& client, pg::Connection& conn,
                               const std::string& conninfo, const MigrateOptions& options);

}  // namespace airpg::migrate
