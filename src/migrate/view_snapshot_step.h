// After the swap: the per-view snapshots (pg/view_snapshots.h) of the tables
// the run read, so `airpg serve` can answer lists with `view` from Postgres
// at once. One listing per view at backfill priority, each table's views
// stored in one short transaction after its reads (no transaction is open
// while Airtable is read). Single-thread.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "airtable/client.h"
#include "base/status.h"
#include "pg/connection.h"

namespace airpg::migrate {

// Reads and stores the views of the tables in `table_ids` (all when empty).
Status FillViewSnapshots(airtable::Client& client, pg::Connection& conn, std::string_view base_id,
                         const std::set<std::string, std::less<>>& table_ids);

}  // namespace airpg::migrate
