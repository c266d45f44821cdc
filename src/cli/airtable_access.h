// What the migration commands share: the base id (flag or config), an
// Airtable client built from the config, and an open Postgres connection.
// Single-thread.
#pragma once

#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "airtable/client.h"
#include "airtable/pacer.h"
#include "base/result.h"
#include "cli/config.h"
#include "pg/connection.h"

namespace airpg::cli {

// --base, else airtable.base_id; kInvalidArgument naming both when neither is set.
Result<std::string> ResolveBaseId(const Config& config, const std::optional<std::string>& flag);

// A client and the pacer it needs; the pacer outlives the client. The pacer
// records its grants in $AIRPG_HOME/run/airtable-pacer, where every airpg
// process with the same AIRPG_HOME sees them, so that all of them keep
// Airtable's limits together.
struct AirtableAccess {
  std::unique_ptr<airtable::Pacer> pacer;
  std::unique_ptr<airtable::Client> client;
};

// kInvalidArgument when AIRTABLE_TOKEN is unset and the endpoint is Airtable's.
// Requests end with kCancelled once `stop` (if given) is stopped.
Result<AirtableAccess> OpenAirtable(const Config& config, std::stop_token stop = {});

struct OpenDatabase {
  pg::Connection conn;
  std::string conninfo;  // may hold a password: never print it
};

// Connects (kUnavailable with a hint when the embedded cluster is not running)
// and makes sure the airpg catalog exists.
Result<OpenDatabase> OpenDatabaseFor(const Config& config);

}  // namespace airpg::cli
