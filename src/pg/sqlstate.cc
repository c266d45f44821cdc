#include "pg/sqlstate.h"

#include <fmt/core.h>

namespace airpg::pg {

StatusCode CodeForSqlState(std::string_view s) {
  if (s.size() != 5) return StatusCode::kInternal;
  // Exact states first, where the class alone would send the caller the wrong way.
  if (s == "40001" || s == "40P01") return StatusCode::kAborted;  // serialization, deadlock
  if (s == "23505") return StatusCode::kAlreadyExists;            // unique violation
  if (s == "23503") return StatusCode::kFailedPrecondition;       // foreign key: parent missing
  if (s == "42501") return StatusCode::kPermissionDenied;         // insufficient privilege
  if (s == "42P01" || s == "3F000" || s == "3D000")               // no such table/schema/database
    return StatusCode::kFailedPrecondition;
  if (s == "55P03") return StatusCode::kAborted;     // lock not available
  if (s == "57014") return StatusCode::kCancelled;   // query cancelled
  if (s == "57P01" || s == "57P02" || s == "57P03")  // shutdown, cannot connect now
    return StatusCode::kUnavailable;
  if (s == "25006") return StatusCode::kPermissionDenied;  // read-only transaction

  std::string_view cls = s.substr(0, 2);
  if (cls == "08") return StatusCode::kUnavailable;                // connection exception
  if (cls == "22") return StatusCode::kInvalidArgument;            // data exception (bad value)
  if (cls == "23") return StatusCode::kInvalidArgument;            // integrity constraint
  if (cls == "28") return StatusCode::kUnauthenticated;            // invalid authorization
  if (cls == "40") return StatusCode::kAborted;                    // transaction rollback
  if (cls == "53") return StatusCode::kResourceExhausted;          // insufficient resources
  if (cls == "54") return StatusCode::kInvalidArgument;            // program limit exceeded
  if (cls == "57") return StatusCode::kUnavailable;                // operator intervention
  if (cls == "58") return StatusCode::kUnavailable;                // system error (I/O)
  if (cls == "0A") return StatusCode::kUnimplemented;              // feature not supported
  if (s == "XX001" || s == "XX002") return StatusCode::kDataLoss;  // data or index corrupted
  return StatusCode::kInternal;  // 42 syntax and the rest: a bug in our SQL
}

Status StatusFromSqlState(std::string_view sqlstate, std::string_view message) {
  return Status(CodeForSqlState(sqlstate), fmt::format("SQLSTATE {}: {}", sqlstate, message));
}

}  // namespace airpg::pg
