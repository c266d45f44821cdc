#include "migrate/run_history.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "base/sql_identifier.h"
#include "blobs/attachment_rows.h"
#include "pg/transaction.h"

namespace airpg::migrate {
namespace {

// A timestamptz as ISO 8601 with its offset, to the second (UTC: the server
// and the reader may sit in different zones; the offset says which).
std::string IsoSql(std::string_view column) {
  return fmt::format("to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')",
                     column);
}

// Whether a session holds the base's migration lock: pg_locks shows a bigint
// advisory key as its high (classid) and low (objid) 32 bits, objsubid 1.
std::string HeldSql(std::string_view base_id_sql) {
  return fmt::format(
      "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND "
      "l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = "
      "current_database()) AND ((l.classid::bigint << 32) | l.objid::bigint) = {})",
      MigrationLockKeySql(base_id_sql));
}

std::string RunsSql(std::string_view where) {
  return fmt::format(
      "SELECT r.run_id, r.base_id, r.kind, "
      "CASE WHEN r.status IN ('running', 'loaded') AND NOT {held} THEN 'interrupted' "
      "ELSE r.status END, r.target_schema, r.backup_schema, {started}, {finished}, r.error, "
      "t.tables, t.read, t.imported, t.rejected, t.attachments, "
      "coalesce(r.options->'refresh', '[]')::text "
      "FROM airpg.runs r LEFT JOIN LATERAL (SELECT count(*) AS tables, sum(records_read) AS read, "
      "sum(imported) AS imported, sum(rejected) AS rejected, sum(attachments) AS attachments "
      "FROM airpg.run_tables WHERE run_id = r.run_id HAVING count(*) > 0) t ON true "
      "WHERE {where} ORDER BY r.run_id",
      fmt::arg("held", HeldSql("r.base_id")), fmt::arg("started", IsoSql("r.started_at")),
      fmt::arg("finished", IsoSql("r.finished_at")), fmt::arg("where", where));
}

std::optional<int64_t> OptionalNumber(const pg::Rows& rows, int row, int col) {
  if (rows.IsNull(row, col)) return std::nullopt;
  return std::stoll(std::string(rows.Get(row, col)));
}

std::vector<RunRecord> ToRecords(const pg::Rows& rows) {
  std::vector<RunRecord> out;
  for (int i = 0; i < rows.size(); ++i) {
    RunRecord r;
    r.run_id = std::stoll(std::string(rows.Get(i, 0)));
    r.base_id = rows.Get(i, 1);
    r.kind = rows.Get(i, 2);
    r.status = rows.Get(i, 3);
    r.schema = rows.Get(i, 4);
    r.backup_schema = rows.Optional(i, 5);
    r.started_at = rows.Get(i, 6);
    r.finished_at = rows.Optional(i, 7);
    r.error = rows.Optional(i, 8);
    r.tables = OptionalNumber(rows, i, 9);
    r.records_read = OptionalNumber(rows, i, 10);
    r.records_imported = OptionalNumber(rows, i, 11);
    r.rejected = OptionalNumber(rows, i, 12);
    r.attachments = OptionalNumber(rows, i, 13);
    nlohmann::json refresh = nlohmann::json::parse(rows.Get(i, 14), nullptr, false);
    if (refresh.is_array()) {
      for (const auto& t : refresh) {
        if (t.is_string()) r.refreshed_tables.push_back(t.get<std::string>());
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::string MigrationLockKeySql(std::string_view base_id_sql) {
  return fmt::format("hashtext('airpg.migrate:' || {})::bigint", base_id_sql);
}

Result<std::vector<RunRecord>> ListRuns(pg::Connection& conn,
                                        const std::optional<std::string>& base_id) {
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                         conn.Exec(RunsSql("$1::text IS NULL OR r.base_id = $1"), {base_id}));
  return ToRecords(rows);
}

Result<RunRecord> GetRun(pg::Connection& conn, int64_t run_id) {
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                         conn.Exec(RunsSql("r.run_id = $1::bigint"), {std::to_string(run_id)}));
  if (rows.empty()) {
    return InvalidArgumentError(
        fmt::format("there is no run {} (`airpg runs` lists them)", run_id));
  }
  return ToRecords(rows).front();
}

Result<std::vector<Backup>> ListBackups(pg::Connection& conn, std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT backup_schema, run_id, replaced_run_id, replaced_schema FROM airpg.runs "
                "WHERE base_id = $1 AND backup_schema IS NOT NULL ORDER BY run_id DESC",
                {std::string(base_id)}));
  std::vector<Backup> out;
  for (int i = 0; i < rows.size(); ++i) {
    Backup b;
    b.schema = rows.Get(i, 0);
    b.replaced_by = std::stoll(std::string(rows.Get(i, 1)));
    b.run_id = rows.IsNull(i, 2) ? 0 : std::stoll(std::string(rows.Get(i, 2)));
    b.live_name = rows.Get(i, 3);
    out.push_back(std::move(b));
  }
  return out;
}

Result<AbandonResult> AbandonRun(pg::Connection& conn, int64_t run_id) {
  AIRPG_ASSIGN_OR_RETURN(RunRecord run, GetRun(conn, run_id));
  if (run.status == "running" || run.status == "loaded") {
    return FailedPreconditionError(fmt::format(
        "run {} is held by a running `airpg migrate` of base {}: stop that process first", run_id,
        run.base_id));
  }
  if (run.status != "interrupted" && run.status != "failed") {
    return InvalidArgumentError(fmt::format(
        "run {} is {}: only an interrupted or failed run can be abandoned", run_id, run.status));
  }
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  // Under the base's lock, so no migrate starts resuming it meanwhile.
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows locked,
      tx.Exec(fmt::format("SELECT pg_try_advisory_xact_lock({})", MigrationLockKeySql("$1")),
              {run.base_id}));
  if (locked.Get(0, 0) != "t") {
    return FailedPreconditionError(
        fmt::format("a migrate of base {} started meanwhile: stop it first to abandon run {}",
                    run.base_id, run_id));
  }
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows staging,
      tx.Exec("SELECT staging_schema FROM airpg.runs r WHERE run_id = $1::bigint AND "
              "EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = r.staging_schema) AND "
              "NOT EXISTS (SELECT 1 FROM airpg.bases WHERE schema_name = r.staging_schema)",
              {std::to_string(run_id)}));
  AbandonResult out{run_id, run.base_id, ""};
  if (!staging.empty()) {
    out.dropped_schema = staging.Get(0, 0);
    AIRPG_RETURN_IF_ERROR(blobs::DeleteSchemaAttachments(tx.connection(), out.dropped_schema));
    AIRPG_RETURN_IF_ERROR(
        tx.Run("DROP SCHEMA " + QuoteIdentifier(out.dropped_schema) + " CASCADE"));
  }
  AIRPG_RETURN_IF_ERROR(
      tx.Run("UPDATE airpg.runs SET status = 'abandoned', finished_at = coalesce(finished_at, "
             "now()), error = coalesce(error || '; ', '') || $2 WHERE run_id = $1::bigint",
             {std::to_string(run_id), std::string(kAbandonedError)}));
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return out;
}

}  // namespace airpg::migrate
