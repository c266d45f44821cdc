// What every step of one migration run shares: the Airtable client, the run's
// plan and staging schema, the Postgres connection, and the callbacks that
// report progress. Single-thread unless a member says otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <stop_token>
#include <string>

#include "airtable/client.h"
#include "mapping/schema_plan.h"
#include "pg/connection.h"

namespace airpg::blobs {
class AttachmentFetcher;
}  // namespace airpg::blobs

namespace airpg::migrate {

// Per-table counts of a run (the pgloader-style summary line).
struct TableSummary {
  std::string table_id;
  std::string table_name;
  int64_t read = 0;       // records listed, malformed ones included
  int64_t imported = 0;   // rows in the table
  int64_t rejected = 0;   // ledger rows (cells and whole records)
  int64_t set_aside = 0;  // whole records in the ledger instead of the table
  int64_t attachments = 0;
  int64_t pages = 0;  // listing pages read (progress)
  double seconds = 0;
  bool resumed = false;  // loaded by an earlier, interrupted attempt of the run
  bool done = false;     // the table's last progress call
  bool kept = false;     // copied from the live schema, not read (a partial run)

  // Ledger rows of single cells (rejected minus whole records set aside).
  int64_t rejected_cells() const { return rejected - set_aside; }
};

struct LoadContext {
  airtable::Client* client = nullptr;
  pg::Connection* conn = nullptr;
  const mapping::SchemaPlan* plan = nullptr;
  std::string base_id;
  std::string staging_schema;
  int64_t run_id = 0;
  bool dry_run = false;                         // read and convert, write nothing
  blobs::AttachmentFetcher* fetcher = nullptr;  // null in a dry run
  std::string conninfo;                         // for the fetcher's own connections
  int download_threads = 4;
  // Loading stops with kCancelled (its transaction rolled back) once this
  // is stopped; checked between pages.
  std::stop_token stop;
  // Tables a partial run copies from the live schema instead of reading
  // (keep_step.h); for a link pair between one of them and a refreshed
  // table, the refreshed side's cells decide which links exist.
  std::set<std::string, std::less<>> kept_tables;
  // Called after each page with the table's running counts, and once more
  // with `done` when the table is loaded.
  std::function<void(const TableSummary&)> on_progress;
};

}  // namespace airpg::migrate
