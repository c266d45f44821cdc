// The airpg catalog (schema `airpg`, src/pg/sql/catalog_v*.sql): created or
// brought up to date before any job touches it. Safe to call from several
// processes at once (an advisory lock serialises them) and cheap when the
// catalog is current (one query).
#pragma once

#include "base/status.h"
#include "pg/connection.h"

namespace airpg::pg {

// The catalog version this build writes.
int CatalogVersion();

// Applies the missing catalog migrations, each in its own transaction.
// kFailedPrecondition when the database's catalog is newer than this build.
Status EnsureCatalog(Connection& conn);

}  // namespace airpg::pg
