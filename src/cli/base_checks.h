// What a command checks about the names it is given before its job starts,
// so that a name that does not exist is bad input (exit 2, docs/errors.md)
// in every command: a base the token cannot see, a base airpg has not
// migrated, a schema airpg may not use. Single-thread.
#pragma once

#include <string>

#include "airtable/client.h"
#include "base/status.h"
#include "pg/connection.h"

namespace airpg::cli {

// `failure` of a request about `base_id`, explained: Airtable answers 403
// (or 404) for a base the token cannot see as for a missing permission, so
// the list of bases decides. kInvalidArgument when the base is not among
// them; otherwise `failure` as it was.
Status ExplainBaseFailure(airtable::Client& client, const std::string& base_id,
                          const Status& failure);

// kInvalidArgument unless airpg has migrated `base_id` (it has a live schema).
Status RequireMigratedBase(pg::Connection& conn, const std::string& base_id);

// kInvalidArgument unless airpg knows `base_id`: migrated, or a run or a dead
// letter of it exists (`runs` shows a base's failed first migration).
Status RequireKnownBase(pg::Connection& conn, const std::string& base_id);

// kInvalidArgument for a schema name Postgres or airpg keeps for itself
// (pg_*, information_schema, airpg). Pure.
Status CheckSchemaName(const std::string& schema);

// kInvalidArgument when `schema` exists and is not the mirror of `base_id`
// (public, another base's mirror): airpg never moves aside what is not its own.
Status CheckSchemaFree(pg::Connection& conn, const std::string& schema, const std::string& base_id);

}  // namespace airpg::cli
