// IsoTimeSql: the SQL that renders a timestamptz the way `airpg status` and
// `airpg dlq` print times: ISO 8601 with the session's offset
// ("2026-12-07T07:21:05+00:00"), NULL staying NULL (no data is not a time).
// One place, so every catalog reader prints times alike. Pure.
#pragma once

#include <fmt/core.h>

#include <string>
#include <string_view>

namespace airpg::sync {

// REQUIRES: `expr` is a trusted SQL expression (a column name), never input.
inline std::string IsoTimeSql(std::string_view expr) {
  return fmt::format(R"(to_char({}, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM'))", expr);
}

}  // namespace airpg::sync
