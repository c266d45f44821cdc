// Which Postgres airpg uses: the server named by DATABASE_URL, or else the
// embedded cluster under the data directory. Every command that needs the
// database goes through here. Single-thread.
#pragma once

#include <string>

#include "base/result.h"
#include "cli/config.h"
#include "pg/embedded_cluster.h"

namespace airpg::cli {

struct DatabaseTarget {
  bool embedded = false;
  std::string url;        // connection string (may hold a password: never print it)
  std::string printable;  // the same without the password
};

// The embedded cluster's options from the config.
pg::EmbeddedOptions EmbeddedOptionsFor(const Config& config);

// Resolves the target without connecting. A malformed DATABASE_URL is
// kInvalidArgument; its password is registered for redaction.
Result<DatabaseTarget> ResolveDatabase(const Config& config);

}  // namespace airpg::cli
