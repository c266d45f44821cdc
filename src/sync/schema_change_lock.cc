#include "sync/schema_change_lock.h"

#include <fmt/core.h>

#include <string>

namespace airpg::sync {

Result<pg::Transaction> BeginSchemaChange(pg::Connection& conn, std::string_view base_id,
                                          std::chrono::milliseconds lock_timeout) {
  std::string base(base_id);
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows locked,
      tx.Exec("SELECT pg_try_advisory_xact_lock(hashtext('airpg.migrate:' || $1))", {base}));
  if (locked.Get(0, 0) != "t") {
    return UnavailableError(fmt::format(
        "base {}: a migration or another schema change is running; try again later", base_id));
  }
  AIRPG_RETURN_IF_ERROR(tx.Run("SELECT set_config('lock_timeout', $1, true)",
                               {fmt::format("{}ms", lock_timeout.count())}));
  return tx;
}

}  // namespace airpg::sync
