// The transaction every DDL the sync runs on a live schema opens: it holds the
// base's migrate key (the one `airpg migrate` holds for its whole run, see
// migrate/migrator.cc) for the transaction, or fails at once, and bounds its
// waits on table locks, since applications read and write the live tables.
#pragma once

#include <chrono>
#include <string_view>

#include "base/result.h"
#include "pg/connection.h"
#include "pg/transaction.h"

namespace airpg::sync {

// Begins the transaction with the base's migrate key taken (kUnavailable,
// nothing done, when a migration or another schema change holds it) and
// lock_timeout set for the transaction.
Result<pg::Transaction> BeginSchemaChange(pg::Connection& conn, std::string_view base_id,
                                          std::chrono::milliseconds lock_timeout);

}  // namespace airpg::sync
