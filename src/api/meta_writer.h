// Meta API writes through `airpg serve` (issue 17): create a table
// (POST /v0/meta/bases/{base}/tables), update a table (PATCH …/tables/{t}),
// create a field (POST …/tables/{t}/fields) and update a field's name or
// description (PATCH …/tables/{t}/fields/{f}). Airtable stays the schema's
// authority: every such request is proxied to it through the shared pacer,
// at the application's priority, whatever the table's route. Once Airtable
// has accepted it, `mirror` applies the change to Postgres before the answer
// is sent, so the application's next request already finds the new table,
// field or name. `api/` may not use `sync/` or `migrate/`: the mirror is
// wired in by `airpg serve` (cli/serve_schema_mirror.h).
// Stateless; thread-safe as far as `upstream` and `mirror` are.
#pragma once

#include <functional>
#include <string>

#include "airtable/client.h"
#include "base/status.h"
#include "http/message.h"
#include "pg/connection.h"

namespace airpg::api {

// Brings `base_id`'s Postgres schema in step with its Airtable schema, now.
using SchemaMirror = std::function<Status(pg::Connection& conn, const std::string& base_id)>;

// Whether `request` is a Meta API write this module answers.
bool IsMetaWrite(const http::Request& request);

// Proxies the Meta API write `request` for `base_id` to Airtable, then runs
// `mirror` (when set). Airtable's answer is returned as it came, errors
// included. A mirror that fails does not fail the request (Airtable made the
// change; sending it again would make a second field): the sync's periodic
// schema check applies it later, and the failure is logged.
http::Response WriteMeta(pg::Connection& conn, airtable::Client* upstream,
                         const SchemaMirror& mirror, const http::Request& request,
                         const std::string& base_id);

}  // namespace airpg::api
