// CheckResult: the Status of one libpq result, for the classes of src/pg/.
// Internal to src/pg/ (includes no libpq header but speaks of its types).
// Pure with respect to the connection; thread-compatible.
#pragma once

#include "base/status.h"

struct pg_conn;
struct pg_result;

namespace airpg::pg {

// OK for command, tuples, copy and empty results; otherwise the SQLSTATE's
// code with the primary message (and detail), or kUnavailable when the
// connection is gone. `result` may be null (libpq could not even send).
Status CheckResult(pg_conn* conn, const pg_result* result);

}  // namespace airpg::pg
