// What the base's live run read per table (airpg.run_tables of the run
// airpg.bases points at): the records a new migration of the base can expect
// to read, so that its progress has an ETA. Single-thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::migrate {

// Records read per table id; empty when the base was never migrated.
Result<std::map<std::string, int64_t>> LastRunRecordCounts(pg::Connection& conn,
                                                           std::string_view base_id);

}  // namespace airpg::migrate
