// `airpg bases`: the bases the token can see (id, name, permission level),
// read from the Meta API, so a user finds the app… id to migrate without
// opening Airtable. Single-thread.
#pragma once

#include "cli/config.h"

namespace airpg::cli {

struct BasesOptions {
  bool json = false;  // --output json
};

int RunBases(const Config& config, const BasesOptions& options);

}  // namespace airpg::cli
