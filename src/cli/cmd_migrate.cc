#include "cli/cmd_migrate.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "airtable/schema.h"
#include "cli/airtable_access.h"
#include "cli/base_checks.h"
#include "cli/error_line.h"
#include "cli/exit_code.h"
#include "cli/interrupt.h"
#include "cli/job_progress.h"
#include "mapping/computed_view.h"
#include "mapping/ddl.h"
#include "mapping/evaluated_plan.h"
#include "mapping/schema_plan.h"
#include "migrate/migrator.h"
#include "migrate/run_history.h"
#include "migrate/swap.h"
#include "migrate/verify.h"
#include "pg/catalog.h"

namespace airpg::cli {
namespace {

using nlohmann::json;

void PrintWarnings(const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings) std::cerr << "airpg: warning: " << w << "\n";
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError(fmt::format("cannot read schema file {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

json VerifyJson(const migrate::VerifyReport& report) {
  json tables = json::array();
  for (const migrate::TableVerify& t : report.tables) {
    tables.push_back({{"table_id", t.table_id},
                      {"table", t.table_name},
                      {"airtable_records", t.airtable_records},
                      {"postgres_records", t.postgres_records},
                      {"missing_in_postgres", t.missing_in_postgres},
                      {"missing_in_airtable", t.missing_in_airtable},
                      {"different", t.different},
                      {"clean", t.clean()},
                      {"examples", t.examples}});
  }
  return {{"clean", report.clean()}, {"tables", tables}};
}

void PrintVerifyText(const migrate::VerifyReport& report) {
  std::cout << fmt::format("{:<32} {:>10} {:>10} {:>9} {:>9} {:>9}\n", "table", "airtable",
                           "postgres", "missing", "extra", "different");
  for (const migrate::TableVerify& t : report.tables) {
    std::cout << fmt::format("{:<32} {:>10} {:>10} {:>9} {:>9} {:>9}  {}\n", t.table_name,
                             t.airtable_records, t.postgres_records, t.missing_in_postgres,
                             t.missing_in_airtable, t.different, t.clean() ? "ok" : "DIFFERS");
    for (const std::string& e : t.examples) std::cout << "    " << e << "\n";
  }
  std::cout << (report.clean() ? "verify: clean\n" : "verify: DIFFERENCES FOUND\n");
}

std::string Seconds(double s) { return fmt::format("{:.3f}", s); }

// A count a table has no data for (kept tables are not read) is "-", never 0.
std::string Count(std::optional<int64_t> n) { return n ? std::to_string(*n) : "-"; }

// Records and cells are different units: a record is imported or set aside
// whole; a cell rejected leaves the rest of its record imported.
void PrintSummaryText(const migrate::MigrateSummary& s, bool dry_run) {
  constexpr const char* kRow = "{:<32} {:>12} {:>10} {:>10} {:>14} {:>12} {:>9}{}\n";
  std::cout << fmt::format(kRow, "table", "records read", "imported", "set aside", "cells rejected",
                           "attachments", "seconds", "");
  std::string rule = fmt::format(kRow, std::string(32, '-'), std::string(12, '-'),
                                 std::string(10, '-'), std::string(10, '-'), std::string(14, '-'),
                                 std::string(12, '-'), std::string(9, '-'), "");
  std::cout << rule;
  migrate::TableSummary total;
  int kept = 0;
  int64_t kept_rows = 0;
  for (const migrate::TableSummary& t : s.tables) {
    std::string note = t.kept ? "  (kept from the live schema)" : t.resumed ? "  (resumed)" : "";
    std::cout << fmt::format(kRow, t.table_name, t.kept ? "-" : std::to_string(t.read), t.imported,
                             t.kept ? "-" : std::to_string(t.set_aside),
                             t.kept ? "-" : std::to_string(t.rejected_cells()), t.attachments,
                             Seconds(t.seconds), note);
    kept += t.kept ? 1 : 0;
    kept_rows += t.kept ? t.imported : 0;
    total.read += t.read;
    total.imported += t.imported;
    total.set_aside += t.kept ? 0 : t.set_aside;
    total.rejected += t.kept ? 0 : t.rejected;
    total.attachments += t.attachments;
  }
  std::cout << rule;
  std::cout << fmt::format(kRow, "total", total.read, total.imported, total.set_aside,
                           total.rejected_cells(), total.attachments, Seconds(s.seconds), "");
  std::cout << "\n";
  std::cout << fmt::format(
      "records:       {} read from Airtable, {} {}, {} set aside whole (airpg.rejects)\n",
      total.read, total.imported - kept_rows, dry_run ? "would be imported" : "imported",
      total.set_aside);
  std::cout << fmt::format(
      "cells:         {} rejected (airpg.rejects; the rest of each record is imported)\n",
      total.rejected_cells());
  if (kept > 0) {
    std::cout << fmt::format(
        "kept:          {} record(s) of {} table(s) copied from the live schema, not read\n",
        kept_rows, kept);
  }
  if (dry_run) {
    std::cout << "\nwould change:\n";
    for (const migrate::TableChange& c : s.changes) {
      std::string columns;
      for (const auto& name : c.columns_added) columns += " +" + name;
      for (const auto& name : c.columns_removed) columns += " -" + name;
      std::cout << fmt::format("  {:<8} {:<32} rows {:>8} live → {:>8} in Airtable{}{}\n", c.action,
                               c.table_name, Count(c.live_rows), Count(c.airtable_records),
                               columns.empty() ? "" : "  columns", columns);
    }
    std::cout << "dry run:       nothing was written, nothing was verified\n";
    return;
  }
  std::cout << fmt::format("link rejects:  {} (references to records that do not exist)\n",
                           s.link_rejects);
  std::cout << fmt::format("verify:        {}\n",
                           s.verify.clean() ? "clean" : "DIFFERENCES FOUND (airpg verify)");
  std::cout << fmt::format("schema:        {}\n", s.schema);
  std::cout << fmt::format("backup:        {}\n",
                           s.backup_schema.empty() ? "(none)" : s.backup_schema);
  std::cout << fmt::format("run:           {}{}\n", s.run_id, s.resumed ? " (resumed)" : "");
}

json Optional(std::optional<int64_t> n) { return n ? json(*n) : json(nullptr); }

json SummaryJson(const migrate::MigrateSummary& s, bool dry_run) {
  json tables = json::array();
  for (const migrate::TableSummary& t : s.tables) {
    auto read = [&](int64_t n) { return t.kept ? json(nullptr) : json(n); };
    tables.push_back({{"table_id", t.table_id},
                      {"table", t.table_name},
                      {"kept", t.kept},
                      {"read", read(t.read)},
                      {"imported", t.imported},
                      {"records_set_aside", read(t.set_aside)},
                      {"cells_rejected", read(t.rejected_cells())},
                      {"rejected", read(t.rejected)},
                      {"attachments", t.attachments},
                      {"seconds", t.seconds},
                      {"resumed", t.resumed}});
  }
  json out = {{"ok", true},
              {"dry_run", dry_run},
              {"run_id", dry_run ? json(nullptr) : json(s.run_id)},
              {"base_name", s.base_name},
              {"schema", s.schema},
              {"backup_schema", s.backup_schema.empty() ? json(nullptr) : json(s.backup_schema)},
              {"resumed", s.resumed},
              {"tables", tables},
              {"link_rejects", dry_run ? json(nullptr) : json(s.link_rejects)},
              // A dry run verifies nothing: no verdict rather than a clean one.
              {"verify", dry_run ? json(nullptr) : VerifyJson(s.verify)},
              {"seconds", s.seconds},
              {"warnings", s.warnings}};
  if (dry_run) {
    json changes = json::array();
    for (const migrate::TableChange& c : s.changes) {
      changes.push_back({{"table_id", c.table_id},
                         {"table", c.table_name},
                         {"action", c.action},
                         {"columns_added", c.columns_added},
                         {"columns_removed", c.columns_removed},
                         {"live_rows", Optional(c.live_rows)},
                         {"airtable_records", Optional(c.airtable_records)}});
    }
    out["changes"] = changes;
  }
  return out;
}

}  // namespace

int RunSchemaPlan(const Config& config, const MigrateCliOptions& options) {
  Result<mapping::SchemaPlan> plan = InvalidArgumentError("unreachable");
  std::string schema = options.schema;
  if (!schema.empty()) {
    if (Status named = CheckSchemaName(schema); !named.ok()) return Fail(named);
  }
  if (options.schema_file) {
    if (options.base) {
      return Fail(InvalidArgumentError("give either --base or --schema-file, not both"));
    }
    Result<std::string> text = ReadFile(*options.schema_file);
    if (!text.ok()) return Fail(text.status());
    Result<airtable::BaseSchema> parsed = airtable::ParseBaseSchema(*text);
    if (!parsed.ok()) return Fail(parsed.status().WithContext(*options.schema_file));
    plan = mapping::PlanSchema(*parsed, {}, options.tables);
    if (schema.empty()) schema = "airtable";
  } else {
    Result<std::string> base_id = ResolveBaseId(config, options.base);
    if (!base_id.ok()) return Fail(base_id.status());
    Result<AirtableAccess> airtable = OpenAirtable(config);
    if (!airtable.ok()) return Fail(airtable.status());
    plan = migrate::PlanBase(*airtable->client, nullptr, *base_id, options.tables);
    if (!plan.ok()) return Fail(ExplainBaseFailure(*airtable->client, *base_id, plan.status()));
    if (plan.ok() && schema.empty()) {
      Result<airtable::BaseInfo> info = airtable->client->GetBaseInfo(*base_id);
      schema = info.ok() ? migrate::DefaultSchemaName(info->name) : "airtable";
    }
  }
  if (!plan.ok()) return Fail(plan.status());
  PrintWarnings(plan->warnings);
  std::string script = mapping::RenderDdlScript(mapping::BuildSchemaDdl(*plan, schema), schema);
  // Computed fields (issue 18): the views that compute them, and every one
  // that stays Airtable-computed, with its reason.
  mapping::ComputedPlan computed = mapping::PlanComputed(*plan, schema);
  script += "\n-- Computed fields Postgres computes: one view per table\n";
  for (const std::string& s : mapping::ComputedViewDdl(*plan, computed, schema)) {
    script += s + ";\n";
  }
  // Of those, the formulas airpg's evaluator computes on Postgres writes.
  mapping::EvaluatedPlan evaluated = mapping::PlanEvaluated(*plan, computed);
  json not_computed = json::array();
  for (const mapping::NotComputedField& f : computed.not_computed) {
    not_computed.push_back({{"table", f.table_name},
                            {"field", f.field_name},
                            {"field_id", f.field_id},
                            {"type", f.type_name},
                            {"reason", f.reason},
                            {"computed_on_write", mapping::IsEvaluated(evaluated, f.field_id)}});
  }
  for (const std::string& line : mapping::NotComputedInSqlLines(computed, evaluated)) {
    script += "-- not computed in SQL: " + line + "\n";
  }
  for (const std::string& line : mapping::UnconditionalLines(computed)) {
    script += "-- computed without a condition: " + line + "\n";
  }
  if (options.json) {
    std::cout << json{{"schema", schema},
                      {"ddl", script},
                      {"warnings", plan->warnings},
                      {"not_computed", not_computed}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << script;
    if (!script.empty() && script.back() != '\n') std::cout << "\n";
  }
  return kExitOk;
}

// What migrate and verify both need: the base id, Airtable and the database.
struct Job {
  std::string base_id;
  AirtableAccess airtable;
  OpenDatabase db;
};

Result<Job> OpenJob(const Config& config, const MigrateCliOptions& options,
                    std::stop_token stop = {}) {
  AIRPG_ASSIGN_OR_RETURN(std::string base_id, ResolveBaseId(config, options.base));
  AIRPG_ASSIGN_OR_RETURN(AirtableAccess airtable, OpenAirtable(config, stop));
  AIRPG_ASSIGN_OR_RETURN(OpenDatabase db, OpenDatabaseFor(config));
  return Job{std::move(base_id), std::move(airtable), std::move(db)};
}

int RunMigrate(const Config& config, const MigrateCliOptions& options) {
  // Ctrl-C or SIGTERM: paging stops, the table being loaded rolls back and
  // the run stays open; exit 130 (docs/errors.md).
  InterruptScope interrupt;
  auto interrupted = [&] {
    constexpr const char* kMessage = "interrupted; run `airpg migrate` again to resume";
    if (options.json) std::cout << json{{"ok", false}, {"error", kMessage}}.dump(2) << "\n";
    PrintErrorLine(kMessage);
    return static_cast<int>(kExitInterrupted);
  };
  Result<Job> job = OpenJob(config, options, interrupt.token());
  if (!job.ok()) return interrupt.interrupted() ? interrupted() : Fail(job.status());
  if (!options.schema.empty()) {
    // Checked before the run is created: a schema that is not airpg's is bad input.
    Status free = CheckSchemaFree(job->db.conn, options.schema, job->base_id);
    if (!free.ok()) return Fail(free);
  }

  migrate::MigrateOptions mo;
  mo.base_id = job->base_id;
  mo.schema = options.schema;
  mo.tables = options.tables;
  mo.dry_run = options.dry_run;
  mo.attachments_dir = options.attachments_dir;
  mo.max_attachment_bytes = config.attachments_max_mb << 20;
  mo.keep_backups = config.migrate_keep_backups;
  mo.stop = interrupt.token();
  std::unique_ptr<ProgressReporter> progress = StderrProgress("migrate", config);
  if (progress) mo.on_progress = MigrateProgress(*progress, job->db.conn, job->base_id);
  Result<migrate::MigrateSummary> summary =
      migrate::Migrate(*job->airtable.client, job->db.conn, job->db.conninfo, mo);
  if (progress) progress->Finish();  // before any error line
  if (!summary.ok()) {
    if (interrupt.interrupted()) return interrupted();
    Status failure = ExplainBaseFailure(*job->airtable.client, job->base_id, summary.status());
    if (options.json) {
      std::cout << json{{"ok", false}, {"error", std::string(failure.message())}}.dump(2) << "\n";
    }
    PrintErrorLine(fmt::format("migrate failed: {}", failure.message()));
    return ExitCodeFor(failure);
  }
  PrintWarnings(summary->warnings);
  if (options.json) {
    std::cout << SummaryJson(*summary, options.dry_run).dump(2) << "\n";
  } else {
    PrintSummaryText(*summary, options.dry_run);
  }
  return kExitOk;
}

int RunVerify(const Config& config, const MigrateCliOptions& options) {
  Result<Job> job = OpenJob(config, options);
  if (!job.ok()) return Fail(job.status());
  if (Status migrated = RequireMigratedBase(job->db.conn, job->base_id); !migrated.ok()) {
    return Fail(migrated);
  }
  std::unique_ptr<ProgressReporter> progress = StderrProgress("verify", config);
  Result<migrate::BaseVerify> verified =
      migrate::VerifyBase(*job->airtable.client, job->db.conn, job->base_id, options.tables,
                          progress ? VerifyProgress(*progress) : migrate::VerifyProgressCallback());
  if (progress) progress->Finish();
  if (!verified.ok()) {
    return Fail(ExplainBaseFailure(*job->airtable.client, job->base_id, verified.status()));
  }
  const migrate::VerifyReport& report = verified->report;
  if (options.json) {
    json out = VerifyJson(report);
    // Each field that differs, with both cells as REST JSON text (null: empty).
    for (size_t i = 0; i < report.tables.size(); ++i) {
      json differences = json::array();
      for (const migrate::FieldDifference& d : report.tables[i].field_differences) {
        differences.push_back({{"table", report.tables[i].table_name},
                               {"record_id", d.record_id},
                               {"field_id", d.field_id},
                               {"field", d.field_name},
                               {"airtable", d.airtable ? json(*d.airtable) : json()},
                               {"postgres", d.postgres ? json(*d.postgres) : json()}});
      }
      out["tables"][i]["differences"] = std::move(differences);
    }
    out["base_id"] = job->base_id;
    out["schema"] = verified->schema;
    out["run_id"] = verified->run_id;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << fmt::format("base {} → schema {} (run {})\n", job->base_id, verified->schema,
                             verified->run_id);
    PrintVerifyText(report);
  }
  return report.clean() ? kExitOk : kExitFailed;
}

int RunRollback(const Config& config, const MigrateCliOptions& options) {
  Result<std::string> base_id = ResolveBaseId(config, options.base);
  if (!base_id.ok()) return Fail(base_id.status());
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  if (Status migrated = RequireMigratedBase(db->conn, *base_id); !migrated.ok()) {
    return Fail(migrated);
  }
  Result<migrate::RollbackResult> result =
      migrate::Rollback(db->conn, *base_id, options.rollback_to);
  if (!result.ok()) return Fail(result.status());
  if (options.json) {
    std::cout << json{{"base_id", *base_id},
                      {"rolled_back_run", result->rolled_back_run},
                      {"active_run", result->active_run},
                      {"schema", result->schema}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << fmt::format("rolled back run {}; schema {} is run {} again\n",
                             result->rolled_back_run, result->schema, result->active_run);
  }
  return kExitOk;
}

namespace {

json RunJson(const migrate::RunRecord& r) {
  auto opt = [](const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); };
  return {
      {"run_id", r.run_id},
      {"base_id", r.base_id},
      {"kind", r.kind},
      {"status", r.status},
      {"schema", r.schema},
      {"backup_schema", opt(r.backup_schema)},
      {"started_at", r.started_at},
      {"finished_at", opt(r.finished_at)},
      {"error", opt(r.error)},
      {"refreshed_tables", r.refreshed_tables.empty() ? json(nullptr) : json(r.refreshed_tables)},
      {"tables", Optional(r.tables)},
      {"records_read", Optional(r.records_read)},
      {"records_imported", Optional(r.records_imported)},
      {"rejected", Optional(r.rejected)},
      {"attachments", Optional(r.attachments)}};
}

void PrintRunsText(const std::vector<migrate::RunRecord>& runs) {
  constexpr const char* kRow = "{:>5}  {:<18} {:<12} {:<25} {:<25} {:>6} {:>12} {:>10} {:>9}  {}\n";
  std::cout << fmt::format(kRow, "run", "base", "status", "started", "finished", "tables",
                           "records read", "imported", "rejected", "schema / error");
  for (const migrate::RunRecord& r : runs) {
    std::string tail = r.error ? "error: " + *r.error : r.schema;
    if (!r.error && r.backup_schema) tail += " (backup " + *r.backup_schema + ")";
    if (!r.refreshed_tables.empty())
      tail += fmt::format(" [{} table(s) refreshed]", r.refreshed_tables.size());
    std::cout << fmt::format(kRow, r.run_id, r.base_id, r.status, r.started_at,
                             r.finished_at.value_or("-"), Count(r.tables), Count(r.records_read),
                             Count(r.records_imported), Count(r.rejected), tail);
  }
}

}  // namespace

int RunRuns(const Config& config, const MigrateCliOptions& options) {
  std::optional<std::string> base_id;
  if (options.base || !config.airtable_base_id.empty()) {
    Result<std::string> id = ResolveBaseId(config, options.base);
    if (!id.ok()) return Fail(id.status());
    base_id = *id;
  }
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  if (Status catalog = pg::EnsureCatalog(db->conn); !catalog.ok()) return Fail(catalog);
  if (base_id) {
    if (Status known = RequireKnownBase(db->conn, *base_id); !known.ok()) return Fail(known);
  }
  Result<std::vector<migrate::RunRecord>> runs = migrate::ListRuns(db->conn, base_id);
  if (!runs.ok()) return Fail(runs.status());
  if (options.json) {
    json out = json::array();
    for (const migrate::RunRecord& r : *runs) out.push_back(RunJson(r));
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  if (runs->empty()) {
    std::cout << "no runs yet: `airpg migrate --base app…` starts one\n";
    return kExitOk;
  }
  PrintRunsText(*runs);
  return kExitOk;
}

int RunRunsAbandon(const Config& config, const MigrateCliOptions& options) {
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  if (Status catalog = pg::EnsureCatalog(db->conn); !catalog.ok()) return Fail(catalog);
  Result<migrate::AbandonResult> done = migrate::AbandonRun(db->conn, options.abandon_run);
  if (!done.ok()) return Fail(done.status());
  if (options.json) {
    std::cout << json{{"run_id", done->run_id},
                      {"base_id", done->base_id},
                      {"status", "abandoned"},
                      {"dropped_schema",
                       done->dropped_schema.empty() ? json(nullptr) : json(done->dropped_schema)}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << fmt::format("run {} abandoned{}\n", done->run_id,
                             done->dropped_schema.empty()
                                 ? ""
                                 : "; its staging schema " + done->dropped_schema + " is dropped");
  }
  return kExitOk;
}

}  // namespace airpg::cli
