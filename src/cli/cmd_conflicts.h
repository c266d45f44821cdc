// `airpg conflicts list|show ID|resolve ID --take airtable|postgres|--value
// JSON`: the fields both sides changed (airpg.conflicts, through
// sync/conflicts.h). A resolution is applied to the losing side by the sync.
// Single-thread.
#pragma once

#include <cstdint>
#include <string>

#include "cli/config.h"

namespace airpg::cli {

struct ConflictsOptions {
  std::string action;  // list | show | resolve
  std::string status;  // list: open | resolved | "" (all)
  int64_t id = 0;      // show, resolve
  std::string take;    // resolve: airtable | postgres ("" with --value)
  std::string value;   // resolve: the JSON value to keep instead
  bool value_given = false;
  bool json = false;  // --output json
};

int RunConflicts(const Config& config, const ConflictsOptions& options);

}  // namespace airpg::cli
