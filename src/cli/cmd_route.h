// `airpg route list|set` (where `airpg serve` answers each table from) and
// `airpg shadow report` (what shadow reads found). Single-thread.
#pragma once

#include <optional>
#include <string>

#include "cli/config.h"

namespace airpg::cli {

struct RouteCliOptions {
  std::optional<std::string> base;  // --base; else airtable.base_id
  std::string table;                // route set TABLE (name or tbl… id)
  std::string mode;                 // route set … airtable|shadow|postgres
  bool json = false;
  // route set … postgres: also when some computed fields of the table are
  // not computed in Postgres (they would keep Airtable's last value).
  bool force = false;
};

int RunRouteList(const Config& config, const RouteCliOptions& options);
int RunRouteSet(const Config& config, const RouteCliOptions& options);
int RunShadowReport(const Config& config, const RouteCliOptions& options);

}  // namespace airpg::cli
