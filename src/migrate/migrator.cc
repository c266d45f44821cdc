#include "migrate/migrator.h"

#include <fmt/core.h>

#include <algorithm>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/log.h"
#include "base/sql_identifier.h"
#include "blobs/attachment_fetcher.h"
#include "blobs/attachment_rows.h"
#include "mapping/computed_stamps.h"
#include "mapping/computed_view.h"
#include "mapping/ddl.h"
#include "mapping/naming.h"
#include "mapping/plan_json.h"
#include "migrate/finish_step.h"
#include "migrate/keep_step.h"
#include "migrate/run_history.h"
#include "migrate/run_plan.h"
#include "migrate/swap.h"
#include "migrate/table_loader.h"
#include "migrate/view_snapshot_step.h"
#include "pg/catalog.h"
#include "pg/catalog_rows.h"
#include "pg/transaction.h"

namespace airpg::migrate {
namespace {

struct RunState {
  int64_t run_id = 0;
  std::string staging;
  std::string status;
  bool resumed = false;
};

// Holds the base's migration lock for the life of the connection's session.
// A killed migrate's session keeps it until the server notices the client is
// gone (pg/connection.cc), so a restart waits up to `wait` for it before
// concluding that another migrate is running.
Status LockBase(pg::Connection& conn, std::string_view base_id, std::chrono::milliseconds wait,
                std::stop_token stop) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    AIRPG_ASSIGN_OR_RETURN(pg::Rows rows, conn.Exec(fmt::format("SELECT pg_try_advisory_lock({})",
                                                                MigrationLockKeySql("$1")),
                                                    {std::string(base_id)}));
    if (rows.Get(0, 0) == "t") return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) break;
    if (!SystemClock().SleepFor(std::chrono::milliseconds(100), stop))
      return CancelledError("stopped while waiting for the migration lock");
  }
  return FailedPreconditionError(
      fmt::format("another airpg migrate of base {} is running", base_id));
}

Status DropRun(pg::Connection& conn, int64_t run_id, const std::string& staging) {
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  AIRPG_RETURN_IF_ERROR(blobs::DeleteSchemaAttachments(tx.connection(), staging));
  AIRPG_RETURN_IF_ERROR(
      tx.Run(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", QuoteIdentifier(staging))));
  AIRPG_RETURN_IF_ERROR(tx.Run(
      "UPDATE airpg.runs SET status = 'abandoned', finished_at = coalesce(finished_at, now()), "
      "error = coalesce(error || '; ', '') || 'abandoned: the base or the options changed before "
      "it was resumed' WHERE run_id = $1::bigint",
      {std::to_string(run_id)}));
  return tx.Commit();
}

// The unfinished run of this base with the same plan and target, or a new one
// with its staging schema created (one transaction: the run row and its
// schema exist together or not at all).
Result<RunState> StartOrResume(pg::Connection& conn, const MigrateOptions& options,
                               const std::string& target, const std::string& plan_json,
                               const RunPlan& run_plan) {
  const mapping::SchemaPlan& plan = run_plan.plan;
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows open,
      // A run that failed while loading (its scratch _links table, dropped
      // by the finish step, is still there) resumes like an interrupted one.
      conn.Exec("SELECT run_id, staging_schema, status, plan::text = $2::jsonb::text AND "
                "target_schema = $3 AND options IS NOT DISTINCT FROM nullif($4, '')::jsonb "
                "FROM airpg.runs WHERE base_id = $1 AND kind = 'migrate' "
                "AND (status IN ('running', 'loaded') OR (status = 'failed' AND "
                "to_regclass(quote_ident(staging_schema) || '._links') IS NOT NULL)) "
                "ORDER BY run_id",
                {options.base_id, plan_json, target, run_plan.options_json}));
  for (int i = 0; i < open.size(); ++i) {
    int64_t id = std::stoll(std::string(open.Get(i, 0)));
    if (i == open.size() - 1 && open.Get(i, 3) == "t") {
      RunState run{id, std::string(open.Get(i, 1)), std::string(open.Get(i, 2)), true};
      if (run.status == "failed") {
        AIRPG_RETURN_IF_ERROR(
            conn.Run("UPDATE airpg.runs SET status = 'running', error = NULL, finished_at = NULL, "
                     "heartbeat_at = now() WHERE run_id = $1::bigint",
                     {std::to_string(id)}));
        run.status = "running";
      }
      return run;
    }
    AIRPG_RETURN_IF_ERROR(DropRun(conn, id, std::string(open.Get(i, 1))));
  }
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows inserted,
      tx.Exec("INSERT INTO airpg.runs (base_id, status, staging_schema, target_schema, plan, "
              "options) VALUES ($1, 'running', '', $2, $3::jsonb, nullif($4, '')::jsonb) "
              "RETURNING run_id",
              {options.base_id, target, plan_json, run_plan.options_json}));
  RunState run;
  run.run_id = std::stoll(std::string(inserted.Get(0, 0)));
  run.staging = fmt::format("airpg_staging_{}", run.run_id);
  run.status = "running";
  AIRPG_RETURN_IF_ERROR(
      tx.Run("UPDATE airpg.runs SET staging_schema = $2 WHERE run_id = $1::bigint",
             {std::to_string(run.run_id), run.staging}));
  AIRPG_RETURN_IF_ERROR(tx.Run("CREATE SCHEMA " + QuoteIdentifier(run.staging)));
  for (const auto& s : mapping::BuildSchemaDdl(plan, run.staging).create)
    AIRPG_RETURN_IF_ERROR(tx.Run(s));
  for (const auto& s : ScratchTableDdl(run.staging)) AIRPG_RETURN_IF_ERROR(tx.Run(s));
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return run;
}

// S.<table>_computed for every table (mapping/computed_view.h) and the
// triggers that stamp Postgres-written rows (computed_stamps.h), in one transaction.
Status CreateComputedViews(pg::Connection& conn, const mapping::SchemaPlan& plan,
                           const std::string& schema) {
  mapping::ComputedPlan computed = mapping::PlanComputed(plan, schema);
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  std::vector<std::string> ddl = mapping::ComputedViewDdl(plan, computed, schema);
  for (std::string& s : mapping::StampDdl(plan, schema)) ddl.push_back(std::move(s));
  // A view Postgres refuses leaves its table without one, never fails the run.
  for (const std::string& s : ddl) {
    AIRPG_RETURN_IF_ERROR(tx.Run("SAVEPOINT airpg_computed_view"));
    Status created = tx.Run(s);
    if (!created.ok()) {
      log::Warn("a computed view was left out: {}", created.message());
      AIRPG_RETURN_IF_ERROR(tx.Run("ROLLBACK TO SAVEPOINT airpg_computed_view"));
    }
    AIRPG_RETURN_IF_ERROR(tx.Run("RELEASE SAVEPOINT airpg_computed_view"));
  }
  return tx.Commit();
}

Result<std::map<std::string, TableSummary>> LoadedTables(pg::Connection& conn, int64_t run_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT t.table_id, records_read, imported, rejected, attachments, seconds, "
                "(SELECT count(*) FROM airpg.rejects r WHERE r.run_id = t.run_id AND "
                "r.table_id = t.table_id AND r.field_id IS NULL) "
                "FROM airpg.run_tables t WHERE run_id = $1::bigint AND status = 'loaded'",
                {std::to_string(run_id)}));
  std::map<std::string, TableSummary> out;
  for (int i = 0; i < rows.size(); ++i) {
    TableSummary t;
    t.table_id = rows.Get(i, 0);
    t.read = std::stoll(std::string(rows.Get(i, 1)));
    t.imported = std::stoll(std::string(rows.Get(i, 2)));
    t.rejected = std::stoll(std::string(rows.Get(i, 3)));
    t.attachments = std::stoll(std::string(rows.Get(i, 4)));
    t.seconds = std::stod(std::string(rows.Get(i, 5)));
    t.set_aside = std::stoll(std::string(rows.Get(i, 6)));
    t.resumed = true;
    out[t.table_id] = t;
  }
  return out;
}

Status MarkFailed(pg::Connection& conn, int64_t run_id, std::string_view error) {
  return conn.Run(
      "UPDATE airpg.runs SET status = 'failed', finished_at = now(), error = $2 "
      "WHERE run_id = $1::bigint",
      {std::to_string(run_id), std::string(error)});
}

}  // namespace

std::string DefaultSchemaName(std::string_view base_name) {
  return mapping::SnakeCase(base_name, "b_", "base");
}

namespace {

// Who holds `schema`: "" when no schema of that name exists, the base id when
// it is an airpg mirror, "?" when it exists and airpg does not know it.
Result<std::string> SchemaHolder(pg::Connection& conn, const std::string& schema) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT coalesce((SELECT base_id FROM airpg.bases WHERE schema_name = $1), "
                "CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) THEN '?' "
                "ELSE '' END)",
                {schema}));
  return std::string(rows.Get(0, 0));
}

// The live schema of the base: --schema, else the one it has, else its
// name's snake_case — or, when another base or something not airpg's already
// has that name, the name followed by the base id. A schema airpg does not
// own is never chosen: the swap would move it aside as a backup, and the
// next migration would drop it.
Result<std::string> ChooseLiveSchema(pg::Connection& conn, const std::string& base_id,
                                     const std::string& base_name, const std::string& wanted) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows current,
      conn.Exec("SELECT schema_name FROM airpg.bases WHERE base_id = $1", {base_id}));
  std::string own = current.empty() ? "" : std::string(current.Get(0, 0));
  if (!wanted.empty()) {
    AIRPG_ASSIGN_OR_RETURN(std::string holder, SchemaHolder(conn, wanted));
    if (holder.empty() || holder == base_id) return wanted;
    return FailedPreconditionError(
        fmt::format("schema {} already exists and is {}: choose another --schema", wanted,
                    holder == "?" ? "not a mirror of airpg's" : "the mirror of base " + holder));
  }
  if (!own.empty()) return own;
  std::string name = DefaultSchemaName(base_name);
  AIRPG_ASSIGN_OR_RETURN(std::string holder, SchemaHolder(conn, name));
  if (holder.empty()) return name;
  std::string suffix = "_" + mapping::SnakeCase(base_id, "b_", "base");
  name = name.substr(0, std::min(name.size(), 63 - suffix.size())) + suffix;
  AIRPG_ASSIGN_OR_RETURN(holder, SchemaHolder(conn, name));
  if (holder.empty()) return name;
  return FailedPreconditionError(
      fmt::format("schema {} (the base's default) is taken; name one with --schema", name));
}

}  // namespace

Result<mapping::SchemaPlan> PlanBase(airtable::Client& client, pg::Connection* conn,
                                     std::string_view base_id,
                                     const std::vector<std::string>& tables) {
  AIRPG_ASSIGN_OR_RETURN(airtable::BaseSchema schema, client.GetBaseSchema(base_id, false));
  mapping::KnownNames known;
  if (conn != nullptr) {
    AIRPG_RETURN_IF_ERROR(pg::EnsureCatalog(*conn));
    AIRPG_ASSIGN_OR_RETURN(pg::CatalogRows rows, pg::ReadCatalogRows(*conn, base_id));
    known = KnownNamesOf(rows);
  }
  return mapping::PlanSchema(schema, known, tables);
}

namespace {

// Runs the run's steps once its row exists (`summary.run_id` set by StartOrResume).
Result<MigrateSummary> RunMigrate(airtable::Client& client, pg::Connection& conn,
                                  const std::string& conninfo, const MigrateOptions& options,
                                  MigrateSummary& summary_out);

}  // namespace

Result<MigrateSummary> Migrate(airtable::Client& client, pg::Connection& conn,
                               const std::string& conninfo, const MigrateOptions& options) {
  MigrateSummary summary;
  Result<MigrateSummary> done = RunMigrate(client, conn, conninfo, options, summary);
  // A run that ended in error is recorded failed with its error, never left
  // 'running' (issue 13). A stop is not a failure: that run stays open and
  // the next migrate resumes it.
  if (!done.ok() && summary.run_id != 0 && done.status().code() != StatusCode::kCancelled) {
    MarkFailed(conn, summary.run_id, done.status().message()).IgnoreError();
  }
  return done;
}

namespace {

Result<MigrateSummary> RunMigrate(airtable::Client& client, pg::Connection& conn,
                                  const std::string& conninfo, const MigrateOptions& options,
                                  MigrateSummary& summary) {
  auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  AIRPG_RETURN_IF_ERROR(pg::EnsureCatalog(conn));
  AIRPG_RETURN_IF_ERROR(LockBase(conn, options.base_id, options.lock_wait, options.stop));
  AIRPG_ASSIGN_OR_RETURN(airtable::BaseInfo base, client.GetBaseInfo(options.base_id));
  summary.base_name = base.name;
  AIRPG_ASSIGN_OR_RETURN(RunPlan run_plan, PlanRun(client, conn, options.base_id, options.tables));
  const mapping::SchemaPlan& plan = run_plan.plan;
  summary.warnings = plan.warnings;
  AIRPG_ASSIGN_OR_RETURN(summary.schema,
                         ChooseLiveSchema(conn, options.base_id, base.name, options.schema));

  LoadContext ctx;
  ctx.client = &client;
  ctx.conn = &conn;
  ctx.plan = &plan;
  ctx.base_id = options.base_id;
  ctx.dry_run = options.dry_run;
  ctx.conninfo = conninfo;
  ctx.download_threads = options.download_threads;
  ctx.on_progress = options.on_progress;
  ctx.stop = options.stop;
  ctx.kept_tables = run_plan.kept;
  if (options.dry_run) {
    for (const auto& table : plan.tables) {
      if (run_plan.kept.count(table.table_id)) continue;
      AIRPG_ASSIGN_OR_RETURN(TableSummary t, LoadTable(ctx, table));
      summary.tables.push_back(t);
    }
    AIRPG_ASSIGN_OR_RETURN(summary.changes, DescribeChanges(conn, run_plan, summary.tables));
    summary.seconds = elapsed();
    return summary;
  }

  // What can be checked before the run exists is: a bad attachments
  // directory is bad input, and no run row or staging schema is left for it.
  blobs::BlobStoreOptions store_options;
  store_options.directory = options.attachments_dir;
  AIRPG_ASSIGN_OR_RETURN(auto blob_store, blobs::BlobStore::Open(store_options));

  std::string plan_json = mapping::PlanJson(plan);
  AIRPG_ASSIGN_OR_RETURN(RunState run,
                         StartOrResume(conn, options, summary.schema, plan_json, run_plan));
  summary.run_id = run.run_id;
  summary.resumed = run.resumed;
  ctx.run_id = run.run_id;
  ctx.staging_schema = run.staging;
  if (run.resumed) log::Info("resuming migrate run {} of base {}", run.run_id, options.base_id);
  blobs::FetcherOptions fetcher_options;
  fetcher_options.stop = options.stop;
  fetcher_options.max_bytes = options.max_attachment_bytes;
  blobs::AttachmentFetcher fetcher(*blob_store, fetcher_options);
  ctx.fetcher = &fetcher;

  AIRPG_ASSIGN_OR_RETURN(auto loaded, LoadedTables(conn, run.run_id));
  for (const auto& table : plan.tables) {
    bool kept = run_plan.kept.count(table.table_id) > 0;
    auto it = loaded.find(table.table_id);
    if (it != loaded.end()) {
      it->second.table_name = table.table_name;
      it->second.kept = kept;
      summary.tables.push_back(it->second);
      if (ctx.on_progress) ctx.on_progress(it->second);
      continue;
    }
    AIRPG_ASSIGN_OR_RETURN(TableSummary t,
                           kept ? KeepTable(ctx, run_plan, table) : LoadTable(ctx, table));
    summary.tables.push_back(t);
  }
  // Each step below is one transaction; a stop between them keeps the run open.
  auto stopped = [&] { return options.stop.stop_requested(); };
  auto cancelled = [&] {
    return CancelledError(
        fmt::format("run {} stopped; it resumes on the next migrate", run.run_id));
  };
  if (stopped()) return cancelled();
  mapping::SchemaDdl ddl = mapping::BuildSchemaDdl(plan, run.staging);
  if (run.status == "running") {
    AIRPG_ASSIGN_OR_RETURN(summary.link_rejects, FinishStaging(ctx, ddl));
  } else {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows rows,
        conn.Exec("SELECT count(*) FROM airpg.rejects WHERE run_id = $1::bigint AND reason LIKE "
                  "'link to %'",
                  {std::to_string(run.run_id)}));
    summary.link_rejects = std::stoll(std::string(rows.Get(0, 0)));
  }
  // The computed-field views (issue 18); idempotent, so a resumed run redoes them.
  AIRPG_RETURN_IF_ERROR(CreateComputedViews(conn, plan, run.staging));
  if (stopped()) return cancelled();
  // Kept tables were checked when they were loaded; their copy is exact.
  AIRPG_ASSIGN_OR_RETURN(summary.verify,
                         VerifyStaging(conn, run.staging, run_plan.RefreshedPlan(), run.run_id));
  if (!summary.verify.clean()) {
    return FailedPreconditionError(fmt::format(
        "run {}: Postgres differs from what was read from Airtable; the staging schema {} is "
        "kept for inspection and the live schema is unchanged",
        run.run_id, run.staging));
  }
  if (stopped()) return cancelled();
  SwapRequest swap{
      run.run_id,
      options.base_id,
      base.name,
      run.staging,
      summary.schema,
      plan_json,
      mapping::RenderDdlScript(mapping::BuildSchemaDdl(plan, summary.schema), summary.schema),
      options.keep_backups,
      std::vector<std::string>(run_plan.kept.begin(), run_plan.kept.end()),
      &plan};
  swap.permission_level = base.permission_level;
  AIRPG_ASSIGN_OR_RETURN(summary.backup_schema, SwapIn(conn, swap));
  // The views' snapshots (issue 17): the base is migrated either way; a
  // failure here leaves `view` lists to the sync's next refresh.
  Status views = FillViewSnapshots(client, conn, options.base_id, run_plan.refreshed);
  if (!views.ok()) summary.warnings.push_back("view snapshots not read: " + views.ToString());
  int64_t rejected = summary.link_rejects;
  for (const auto& t : summary.tables) rejected += t.rejected;
  summary.seconds = elapsed();
  conn.Run("UPDATE airpg.runs SET summary = $2::jsonb WHERE run_id = $1::bigint",
           {std::to_string(run.run_id), nlohmann::json{{"tables", summary.tables.size()},
                                                       {"rejected", rejected},
                                                       {"seconds", summary.seconds}}
                                            .dump()})
      .IgnoreError();
  return summary;
}

}  // namespace
}  // namespace airpg::migrate
