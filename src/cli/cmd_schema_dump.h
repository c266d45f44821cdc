// `airpg schema dump [--base app…]`: a base's schema as the Meta API sends it
// ({"tables":[…]}, GET /v0/meta/bases/{base}/tables), on stdout, the file
// that `formula --schema-file` and `schema plan --schema-file` read.
// Single-thread.
#pragma once

#include <optional>
#include <string>

#include "cli/config.h"

namespace airpg::cli {

struct SchemaDumpOptions {
  std::optional<std::string> base;  // --base; default airtable.base_id
};

int RunSchemaDump(const Config& config, const SchemaDumpOptions& options);

}  // namespace airpg::cli
