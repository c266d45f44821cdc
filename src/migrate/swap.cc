#include "migrate/swap.h"

#include <fmt/core.h>

#include <algorithm>

#include "base/sql_identifier.h"
#include "blobs/attachment_rows.h"
#include "mapping/write_capture.h"
#include "pg/catalog_rows.h"
#include "pg/quote.h"
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

// The authority matrix of the base: rewriting the catalog's tables would
// cascade it away, leaving every table read-only (or a running sync's
// outbox dropping changes) until the next sync start.
Result<std::string> SaveAuthority(pg::Transaction& tx, const std::string& base_id) {
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                         tx.Exec("SELECT coalesce(jsonb_agg(to_jsonb(a)), '[]')::text FROM "
                                 "airpg.sync_authority a WHERE a.base_id = $1",
                                 {base_id}));
  return std::string(rows.Get(0, 0));
}

Status RestoreAuthority(pg::Transaction& tx, const std::string& saved) {
  return tx.Run(
      "INSERT INTO airpg.sync_authority SELECT r.* FROM jsonb_populate_recordset(NULL::"
      "airpg.sync_authority, $1::jsonb) r WHERE EXISTS (SELECT 1 FROM airpg.tables t WHERE "
      "t.table_id = r.table_id) ON CONFLICT (table_id) DO NOTHING",
      {saved});
}

// The write guard and outbox capture (catalog v6) on every table and every
// junction a link or collaborator field owns (mapping/write_capture.h) — the
// set sync/authority.cc InstallWriteTriggers covers at sync start.
// At every swap, a base's first included: without them a base just migrated
// would take Postgres writes unchecked and never queue them until its first
// sync start. The authority defaults to airtable, so the guard refuses
// Postgres writes from the first moment, naming the setting to change.
Status InstallWriteTriggers(pg::Transaction& tx, const SwapRequest& r) {
  if (r.plan == nullptr) return Status::Ok();
  const std::string sql = "SELECT airpg.install_write_triggers($1, $2, $3, $4, $5)";
  for (const mapping::CaptureTarget& c : mapping::CaptureTargets(*r.plan)) {
    AIRPG_RETURN_IF_ERROR(
        tx.Run(sql, {r.target_schema, c.relation, r.base_id, c.table_id, c.field_id}));
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> SwapIn(pg::Connection& conn, const SwapRequest& r) {
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  std::string run = std::to_string(r.run_id);
  AIRPG_RETURN_IF_ERROR(tx.Run(
      fmt::format("DROP TABLE IF EXISTS {}", QualifiedName(r.staging_schema, "_checksums"))));
  // The base's live schema, wherever it is: under the target name, or under
  // another one when --schema moves the mirror.
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows current,
      tx.Exec("SELECT b.schema_name, b.active_run_id FROM airpg.bases b WHERE b.base_id = $1 "
              "AND EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = b.schema_name) FOR UPDATE",
              {r.base_id}));
  AIRPG_ASSIGN_OR_RETURN(bool target_exists, SchemaExists(tx, r.target_schema));
  if (target_exists && (current.empty() || current.Get(0, 0) != r.target_schema)) {
    // Only this base's own mirror is ever moved aside (and later dropped).
    return FailedPreconditionError(
        fmt::format("schema {} exists and is not the mirror of base {}; the swap would move it "
                    "aside: nothing was swapped",
                    r.target_schema, r.base_id));
  }
  std::string backup;
  pg::Param replaced_run, replaced_schema;
  if (!current.empty()) {
    replaced_schema = std::string(current.Get(0, 0));
    replaced_run = current.Optional(0, 1);
    backup = fmt::format("airpg_backup_{}", r.run_id);
    AIRPG_RETURN_IF_ERROR(RenameSchema(tx, *replaced_schema, backup));
  }
  AIRPG_RETURN_IF_ERROR(RenameSchema(tx, r.staging_schema, r.target_schema));
  // The last keep_backups replaced schemas stay, this one included.
  int keep_old = std::max(0, std::max(1, r.keep_backups) - (backup.empty() ? 0 : 1));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows old_backups,
      tx.Exec("SELECT run_id, backup_schema FROM airpg.runs WHERE base_id = $1 AND "
              "backup_schema IS NOT NULL AND run_id <> $2::bigint ORDER BY run_id DESC "
              "OFFSET $3::int",
              {r.base_id, run, std::to_string(keep_old)}));
  for (int i = 0; i < old_backups.size(); ++i) {
    AIRPG_RETURN_IF_ERROR(DropSchema(tx, std::string(old_backups.Get(i, 1))));
    AIRPG_RETURN_IF_ERROR(
        tx.Run("UPDATE airpg.runs SET backup_schema = NULL WHERE run_id = $1::bigint",
               {std::string(old_backups.Get(i, 0))}));
  }
  // Rewriting the catalog below starts the base's sync state afresh; a kept
  // table keeps its poll position (the sync's default is this run's start).
  std::vector<std::optional<std::string>> kept(r.kept_tables.begin(), r.kept_tables.end());
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows watermarks,
      tx.Exec("SELECT k.id, coalesce(s.poll_watermark, (SELECT p.started_at FROM airpg.bases b "
              "JOIN airpg.runs p ON p.run_id = b.active_run_id WHERE b.base_id = $1))::text "
              "FROM unnest($2::text[]) AS k(id) LEFT JOIN airpg.sync_tables s ON "
              "s.table_id = k.id",
              {r.base_id, pg::ArrayLiteral(kept)}));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("INSERT INTO airpg.bases (base_id, name, schema_name, active_run_id, "
             "permission_level) VALUES ($1, $2, $3, $4::bigint, nullif($5, '')) ON CONFLICT "
             "(base_id) DO UPDATE SET name = EXCLUDED.name, schema_name = EXCLUDED.schema_name, "
             "active_run_id = EXCLUDED.active_run_id, permission_level = "
             "coalesce(EXCLUDED.permission_level, airpg.bases.permission_level)",
             {r.base_id, r.base_name, r.target_schema, run, r.permission_level}));
  AIRPG_ASSIGN_OR_RETURN(std::string authority, SaveAuthority(tx, r.base_id));
  AIRPG_RETURN_IF_ERROR(pg::WriteCatalogRows(tx, r.base_id, r.plan_json));
  AIRPG_RETURN_IF_ERROR(RestoreAuthority(tx, authority));
  AIRPG_RETURN_IF_ERROR(InstallWriteTriggers(tx, r));
  for (int i = 0; i < watermarks.size(); ++i) {
    if (watermarks.IsNull(i, 1)) continue;
    AIRPG_RETURN_IF_ERROR(
        tx.Run("INSERT INTO airpg.sync_tables (table_id, base_id, poll_watermark) VALUES ($1, $2, "
               "$3::timestamptz) ON CONFLICT (table_id) DO UPDATE SET poll_watermark = "
               "EXCLUDED.poll_watermark",
               {std::string(watermarks.Get(i, 0)), r.base_id, std::string(watermarks.Get(i, 1))}));
  }
  // Reserved record ids (airpg.outbox_keys) name rows by row id; a reloaded
  // table numbers its rows afresh, so its keys would point at other records.
  AIRPG_RETURN_IF_ERROR(
      tx.Run("DELETE FROM airpg.outbox_keys WHERE table_id IN (SELECT table_id FROM "
             "airpg.tables WHERE base_id = $1) AND NOT table_id = ANY($2::text[])",
             {r.base_id, pg::ArrayLiteral(kept)}));
  AIRPG_RETURN_IF_ERROR(tx.Run(
      "UPDATE airpg.runs SET status = 'superseded' WHERE base_id = $1 AND status = 'swapped'",
      {r.base_id}));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("UPDATE airpg.runs SET status = 'swapped', backup_schema = nullif($2, ''), "
             "replaced_run_id = CASE WHEN $2 = '' THEN NULL ELSE $3::bigint END, "
             "replaced_schema = CASE WHEN $2 = '' THEN NULL ELSE $4 END, finished_at = now() "
             "WHERE run_id = $1::bigint",
             {run, backup, replaced_run, replaced_schema}));
  std::string change =
      replaced_schema && *replaced_schema != r.target_schema
          ? fmt::format("migrate run {} swapped in as schema {} (moved from {})", r.run_id,
                        r.target_schema, *replaced_schema)
          : fmt::format("migrate run {} swapped in as schema {}", r.run_id, r.target_schema);
  AIRPG_RETURN_IF_ERROR(
      tx.Run("INSERT INTO airpg.schema_versions (base_id, run_id, change, ddl) "
             "VALUES ($1, $2::bigint, $3, $4)",
             {r.base_id, run, change, r.ddl_script}));
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return backup;
}

namespace {

// The run whose backup holds the schema to go back to: the live run's own
// (one step back) or the one whose backup holds `to_run`'s schema.
struct RollbackSource {
  int64_t holder_run = 0;  // whose backup_schema it is
  int64_t run_id = 0;      // whose schema it holds
  std::string backup;
  std::string live_name;
  std::string plan_json;
};

Result<RollbackSource> FindRollbackSource(pg::Transaction& tx, const std::string& base,
                                          int64_t live_run, const std::string& live_schema,
                                          std::optional<int64_t> to_run) {
  // Backups from before catalog v3 do not name their run: the newest
  // superseded run older than their holder is the one they replaced.
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      tx.Exec("SELECT r.run_id, r.backup_schema, coalesce(r.replaced_schema, $2), p.run_id, "
              "p.plan::text FROM airpg.runs r JOIN LATERAL (SELECT run_id, plan FROM airpg.runs "
              "WHERE run_id = coalesce(r.replaced_run_id, (SELECT max(run_id) FROM airpg.runs o "
              "WHERE o.base_id = r.base_id AND o.status = 'superseded' AND o.run_id < r.run_id)))"
              " p ON true WHERE r.base_id = $1 AND r.backup_schema IS NOT NULL "
              "ORDER BY r.run_id DESC",
              {base, live_schema}));
  for (int i = 0; i < rows.size(); ++i) {
    int64_t holder = std::stoll(std::string(rows.Get(i, 0)));
    int64_t held = std::stoll(std::string(rows.Get(i, 3)));
    if (to_run ? held == *to_run : holder == live_run) {
      return RollbackSource{holder, held, std::string(rows.Get(i, 1)), std::string(rows.Get(i, 2)),
                            std::string(rows.Get(i, 4))};
    }
  }
  if (!to_run) {
    return FailedPreconditionError(
        fmt::format("base {} has no earlier migration to roll back to", base));
  }
  if (*to_run == live_run) {
    return InvalidArgumentError(fmt::format("run {} is live already", *to_run));
  }
  std::string kept;
  for (int i = 0; i < rows.size(); ++i) {
    kept += std::string(kept.empty() ? "" : ", ") + std::string(rows.Get(i, 3));
  }
  return InvalidArgumentError(fmt::format(
      "no backup holds the schema of run {}: {}", *to_run,
      kept.empty() ? "base " + base + " keeps no backups" : "the kept ones are runs " + kept));
}

}  // namespace

Result<RollbackResult> Rollback(pg::Connection& conn, std::string_view base_id,
                                std::optional<int64_t> to_run) {
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  std::string base(base_id);
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows current,
      tx.Exec("SELECT active_run_id, schema_name FROM airpg.bases WHERE base_id = $1 AND "
              "active_run_id IS NOT NULL FOR UPDATE",
              {base}));
  if (current.empty()) {
    return FailedPreconditionError(
        fmt::format("base {} has no earlier migration to roll back to", base_id));
  }
  RollbackResult out;
  out.rolled_back_run = std::stoll(std::string(current.Get(0, 0)));
  std::string live(current.Get(0, 1));
  AIRPG_ASSIGN_OR_RETURN(RollbackSource source,
                         FindRollbackSource(tx, base, out.rolled_back_run, live, to_run));
  out.active_run = source.run_id;
  out.schema = source.live_name;
  std::string discarded = fmt::format("airpg_rolled_back_{}", out.rolled_back_run);
  AIRPG_RETURN_IF_ERROR(RenameSchema(tx, live, discarded));
  AIRPG_ASSIGN_OR_RETURN(bool taken, SchemaExists(tx, out.schema));
  if (taken) {
    return FailedPreconditionError(fmt::format(
        "schema {}, where run {} was live, is taken by a schema airpg does not own: nothing was "
        "rolled back",
        out.schema, out.active_run));
  }
  AIRPG_RETURN_IF_ERROR(RenameSchema(tx, source.backup, out.schema));
  AIRPG_RETURN_IF_ERROR(DropSchema(tx, discarded));
  // The backups of the runs undone on the way hold schemas of undone runs too.
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows undone,
      tx.Exec("SELECT backup_schema FROM airpg.runs WHERE base_id = $1 AND run_id > $2::bigint "
              "AND backup_schema IS NOT NULL",
              {base, std::to_string(source.holder_run)}));
  for (int i = 0; i < undone.size(); ++i) {
    AIRPG_RETURN_IF_ERROR(DropSchema(tx, std::string(undone.Get(i, 0))));
  }
  AIRPG_ASSIGN_OR_RETURN(std::string authority, SaveAuthority(tx, base));
  AIRPG_RETURN_IF_ERROR(pg::WriteCatalogRows(tx, base, source.plan_json));
  AIRPG_RETURN_IF_ERROR(RestoreAuthority(tx, authority));
  std::string active = std::to_string(out.active_run);
  AIRPG_RETURN_IF_ERROR(
      tx.Run("UPDATE airpg.bases SET active_run_id = $2::bigint, schema_name = $3 "
             "WHERE base_id = $1",
             {base, active, out.schema}));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("UPDATE airpg.runs SET status = 'rolled_back', backup_schema = NULL WHERE "
             "base_id = $1 AND run_id > $2::bigint AND status IN ('swapped', 'superseded')",
             {base, active}));
  AIRPG_RETURN_IF_ERROR(tx.Run(
      "UPDATE airpg.runs SET backup_schema = NULL WHERE run_id = $1::bigint OR (base_id = $2 AND "
      "run_id > $1::bigint)",
      {std::to_string(source.holder_run), base}));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("UPDATE airpg.runs SET status = 'swapped' WHERE run_id = $1::bigint", {active}));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("INSERT INTO airpg.schema_versions (base_id, run_id, change, ddl) "
             "VALUES ($1, $2::bigint, $3, '')",
             {base, active,
              fmt::format("rollback: run {} undone, run {} live again as schema {}",
                          out.rolled_back_run, out.active_run, out.schema)}));
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return out;
}

}  // namespace airpg::migrate
