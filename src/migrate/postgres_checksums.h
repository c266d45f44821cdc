// The Postgres side of verification: each live (not deleted) row of a
// mirrored table rebuilt into Airtable cells — columns through PgToCell,
// links from foreign keys and junctions, collaborators from airpg.users
// references, attachments from airpg.attachments — and checksummed exactly
// as Airtable's record is (record_checksum.h).
#pragma once

#include <map>
#include <set>
#include <string>

#include "base/result.h"
#include "mapping/schema_plan.h"
#include "pg/connection.h"

namespace airpg::migrate {

// record id → fields the rejects ledger explains (left out on both sides).
using SkipMap = std::map<std::string, std::set<std::string, std::less<>>, std::less<>>;

// The cells the run's rejects ledger explains, and those the sync could not
// apply since (open dead letters): both are on record with their reason.
Result<SkipMap> ReadRejectedCells(pg::Connection& conn, int64_t run_id, std::string_view table_id);

// record id → checksum.
Result<std::map<std::string, std::string>> PostgresChecksums(pg::Connection& conn,
                                                             std::string_view schema,
                                                             const mapping::SchemaPlan& plan,
                                                             const mapping::TablePlan& table,
                                                             const SkipMap& skip, bool with_links);

}  // namespace airpg::migrate
