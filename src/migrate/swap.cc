#include "migrate/swap.h"

#include <fmt/core.h>

#include "base/sql_identifier.h"
#include "blobs/attachment_rows.h"
#include "pg/catalog_rows.h"
#include "pg/transaction.h"

namespace airpg::migrate {
namespace {

Result<bool> SchemaExists(pg::Transaction& tx, const std::string& schema) {
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                         tx.Exec("SELECT 1 FROM pg_namespace WHERE nspname = $1", {schema}));
  return !rows.empty();
}

Status RenameSchema(pg::Transaction& tx, const std::string& from, const std::string& to) {
  AIRPG_RETURN_IF_ERROR(tx.Run(
      fmt::format("ALTER SCHEMA {} RENAME TO {}", QuoteIdentifier(from), QuoteIdentifier(to))));
  return blobs::MoveSchemaAttachments(tx.connection(), from, to);
}

Status DropSchema(pg::Transaction& tx, const std::string& schema) {
  AIRPG_RETURN_IF_ERROR(blobs::DeleteSchemaAttachments(tx.connection(), schema));
  return tx.Run(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", QuoteIdentifier(schema)));
}

}  // namespace

Result<std::string> SwapIn(pg::Connection& conn, const SwapRequest& r) {
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  std::string run = std::to_string(r.run_id);
  AIRPG_RETURN_IF_ERROR(tx.Run(
      fmt::format("DROP TABLE IF EXISTS {}", QualifiedName(r.staging_schema, "_checksums"))));
  // The previous backup of this base goes; the live schema becomes the backup.
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows old_backups,
      tx.Exec("SELECT run_id, backup_schema FROM airpg.runs WHERE base_id = $1 AND "
              "backup_schema IS NOT NULL AND run_id <> $2::bigint",
              {r.base_id, run}));
  for (int i = 0; i < old_backups.size(); ++i) {
    AIRPG_RETURN_IF_ERROR(DropSchema(tx, std::string(old_backups.Get(i, 1))));
    AIRPG_RETURN_IF_ERROR(
        tx.Run("UPDATE airpg.runs SET backup_schema = NULL WHERE run_id = $1::bigint",
               {std::string(old_backups.Get(i, 0))}));
  }
  std::string backup;
  AIRPG_ASSIGN_OR_RETURN(bool live, SchemaExists(tx, r.target_schema));
  if (live) {
    // Only this base's own mirror is ever moved aside (and later dropped).
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows owner,
        tx.Exec("SELECT base_id FROM airpg.bases WHERE schema_name = $1", {r.target_schema}));
    if (owner.empty() || owner.Get(0, 0) != r.base_id) {
      return FailedPreconditionError(
          fmt::format("schema {} exists and is not the mirror of base {}; the swap would move it "
                      "aside: nothing was swapped",
                      r.target_schema, r.base_id));
    }
    backup = fmt::format("airpg_backup_{}", r.run_id);
    AIRPG_RETURN_IF_ERROR(RenameSchema(tx, r.target_schema, backup));
  }
  AIRPG_RETURN_IF_ERROR(RenameSchema(tx, r.staging_schema, r.target_schema));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("INSERT INTO airpg.bases (base_id, name, schema_name, active_run_id) "
             "VALUES ($1, $2, $3, $4::bigint) ON CONFLICT (base_id) DO UPDATE SET "
             "name = EXCLUDED.name, schema_name = EXCLUDED.schema_name, "
             "active_run_id = EXCLUDED.active_run_id",
             {r.base_id, r.base_name, r.target_schema, run}));
  AIRPG_RETURN_IF_ERROR(pg::WriteCatalogRows(tx, r.base_id, r.plan_json));
  AIRPG_RETURN_IF_ERROR(tx.Run(
      "UPDATE airpg.runs SET status = 'superseded' WHERE base_id = $1 AND status = 'swapped'",
      {r.base_id}));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("UPDATE airpg.runs SET status = 'swapped', backup_schema = nullif($2, ''), "
             "finished_at = now() WHERE run_id = $1::bigint",
             {run, backup}));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("INSERT INTO airpg.schema_versions (base_id, run_id, change, ddl) "
             "VALUES ($1, $2::bigint, $3, $4)",
             {r.base_id, run,
              fmt::format("migrate run {} swapped in as schema {}", r.run_id, r.target_schema),
              r.ddl_script}));
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return backup;
}

Result<RollbackResult> Rollback(pg::Connection& conn, std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  std::string base(base_id);
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows current,
      tx.Exec("SELECT r.run_id, r.backup_schema, b.schema_name FROM airpg.bases b "
              "JOIN airpg.runs r ON r.run_id = b.active_run_id WHERE b.base_id = $1 FOR UPDATE",
              {base}));
  if (current.empty() || current.IsNull(0, 1)) {
    return FailedPreconditionError(
        fmt::format("base {} has no earlier migration to roll back to", base_id));
  }
  RollbackResult out;
  out.rolled_back_run = std::stoll(std::string(current.Get(0, 0)));
  std::string backup(current.Get(0, 1));
  out.schema = current.Get(0, 2);
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows previous,
      tx.Exec("SELECT run_id, plan::text FROM airpg.runs WHERE base_id = $1 AND "
              "status = 'superseded' AND run_id < $2::bigint ORDER BY run_id DESC LIMIT 1",
              {base, std::to_string(out.rolled_back_run)}));
  if (previous.empty()) {
    return FailedPreconditionError(
        fmt::format("base {}: the run of the backup schema is not in airpg.runs", base_id));
  }
  out.active_run = std::stoll(std::string(previous.Get(0, 0)));
  std::string discarded = fmt::format("airpg_rolled_back_{}", out.rolled_back_run);
  AIRPG_RETURN_IF_ERROR(RenameSchema(tx, out.schema, discarded));
  AIRPG_RETURN_IF_ERROR(RenameSchema(tx, backup, out.schema));
  AIRPG_RETURN_IF_ERROR(DropSchema(tx, discarded));
  AIRPG_RETURN_IF_ERROR(pg::WriteCatalogRows(tx, base, previous.Get(0, 1)));
  std::string active = std::to_string(out.active_run);
  AIRPG_RETURN_IF_ERROR(tx.Run(
      "UPDATE airpg.bases SET active_run_id = $2::bigint WHERE base_id = $1", {base, active}));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("UPDATE airpg.runs SET status = 'rolled_back', backup_schema = NULL WHERE "
             "run_id = $1::bigint",
             {std::to_string(out.rolled_back_run)}));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("UPDATE airpg.runs SET status = 'swapped' WHERE run_id = $1::bigint", {active}));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("INSERT INTO airpg.schema_versions (base_id, run_id, change, ddl) "
             "VALUES ($1, $2::bigint, $3, '')",
             {base, active,
              fmt::format("rollback: run {} undone, run {} live again", out.rolled_back_run,
                          out.active_run)}));
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return out;
}

}  // namespace airpg::migrate
