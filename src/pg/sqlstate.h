// Translation of Postgres errors into Status, by SQLSTATE class, so callers
// decide what to do next (retry the transaction, fix the input, give up)
// without knowing libpq. See docs/errors.md. Pure and thread-safe.
#pragma once

#include <string_view>

#include "base/status.h"

namespace airpg::pg {

// The Status code for a five-character SQLSTATE (e.g. "40001" → kAborted).
StatusCode CodeForSqlState(std::string_view sqlstate);

// A Status with that code and the message "SQLSTATE <state>: <message>".
Status StatusFromSqlState(std::string_view sqlstate, std::string_view message);

}  // namespace airpg::pg
