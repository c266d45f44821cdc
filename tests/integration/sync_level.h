// Checks of the sync tests (sync_kill_test, sync_faults_test) on a
// generated base (emulator/generator.h) driven by ChangeDriver: whether
// Postgres is level with the emulator — nothing lost — and whether anything
// was applied twice or out of order. Each returns "" when all is well, else
// the first few problems for the failure message. Tests only; single-thread.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "pg/connection.h"
#include "sync/record_applier.h"

namespace airpg::testing {

// What Airtable holds: table id → record id → cells by field id.
using AirtableState = std::map<std::string, std::map<std::string, nlohmann::json>>;

// Every record of the base's tables, read through the emulator's ui
// endpoints (never faulted or limited).
Result<AirtableState> ReadAirtableState(const std::string& emulator_url,
                                        const sync::LiveBase& base);

// Postgres against `state`: per table, the live rows (not tombstoned) are
// exactly the records, each with the record's Amount; per junction, the
// pairs are exactly the records' links. With `live_links_only`, a junction
// row to or from a tombstoned row is not a link (Postgres soft-deleted the
// row and left its links, as an application may; Airtable has no such link).
std::string Differences(pg::Connection& conn, const sync::LiveBase& base,
                        const AirtableState& state, bool live_links_only = false);

// Anything applied twice or out of order: a duplicate airtable_id in a
// table, a duplicate pair in a junction, a record inserted twice, and — in
// the audit log of the sync's writes (origin airtable) — an Amount that went
// down (an older version of the record applied after a newer one).
std::string DoubleApplies(pg::Connection& conn, const sync::LiveBase& base);

// The records deleted in Airtable: none may be live in Postgres; `tombstoned`
// counts those Postgres had and marked deleted (the others were created and
// deleted between two reads of the sync, so Postgres never had them).
std::string DeletedStayDeleted(pg::Connection& conn, const sync::LiveBase& base,
                               const std::vector<std::pair<std::string, std::string>>& deleted,
                               int64_t* tombstoned);

}  // namespace airpg::testing
