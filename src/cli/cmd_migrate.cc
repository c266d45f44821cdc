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
#include "mapping/computed_view.h"
#include "mapping/ddl.h"
#include "mapping/schema_plan.h"
#include "migrate/migrator.h"
#include "migrate/swap.h"
#include "migrate/verify.h"

namespace airpg::cli {
namespace {

using nlohmann::json;

int Fail(const Status& status) {
  PrintErrorLine(status.message());
  return ExitCodeFor(status);
}

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

void PrintSummaryText(const migrate::MigrateSummary& s, bool dry_run) {
  std::cout << fmt::format("{:<32} {:>10} {:>10} {:>10} {:>12} {:>10}\n", "table name", "read",
                           "imported", "rejected", "attachments", "seconds");
  std::cout << std::string(32, '-') << " " << std::string(10, '-') << " " << std::string(10, '-')
            << " " << std::string(10, '-') << " " << std::string(12, '-') << " "
            << std::string(10, '-') << "\n";
  migrate::TableSummary total;
  for (const migrate::TableSummary& t : s.tables) {
    std::cout << fmt::format("{:<32} {:>10} {:>10} {:>10} {:>12} {:>10}{}\n", t.table_name, t.read,
                             t.imported, t.rejected, t.attachments, Seconds(t.seconds),
                             t.resumed ? "  (resumed)" : "");
    total.read += t.read;
    total.imported += t.imported;
    total.rejected += t.rejected;
    total.attachments += t.attachments;
  }
  std::cout << std::string(32, '-') << " " << std::string(10, '-') << " " << std::string(10, '-')
            << " " << std::string(10, '-') << " " << std::string(12, '-') << " "
            << std::string(10, '-') << "\n";
  std::cout << fmt::format("{:<32} {:>10} {:>10} {:>10} {:>12} {:>10}\n", "Total import time",
                           total.read, total.imported, total.rejected, total.attachments,
                           Seconds(s.seconds));
  std::cout << "\n";
  std::cout << fmt::format("link rejects:  {}\n", s.link_rejects);
  std::cout << fmt::format("verify:        {}\n",
                           s.verify.clean() ? "clean" : "DIFFERENCES FOUND (airpg verify)");
  if (dry_run) {
    std::cout << "dry run:       nothing was written\n";
  } else {
    std::cout << fmt::format("schema:        {}\n", s.schema);
    std::cout << fmt::format("backup:        {}\n",
                             s.backup_schema.empty() ? "(none)" : s.backup_schema);
    std::cout << fmt::format("run:           {}{}\n", s.run_id, s.resumed ? " (resumed)" : "");
  }
}

json SummaryJson(const migrate::MigrateSummary& s, bool dry_run) {
  json tables = json::array();
  for (const migrate::TableSummary& t : s.tables) {
    tables.push_back({{"table_id", t.table_id},
                      {"table", t.table_name},
                      {"read", t.read},
                      {"imported", t.imported},
                      {"rejected", t.rejected},
                      {"attachments", t.attachments},
                      {"seconds", t.seconds},
                      {"resumed", t.resumed}});
  }
  return {{"ok", true},
          {"dry_run", dry_run},
          {"run_id", s.run_id},
          {"base_name", s.base_name},
          {"schema", s.schema},
          {"backup_schema", s.backup_schema},
          {"resumed", s.resumed},
          {"tables", tables},
          {"link_rejects", s.link_rejects},
          {"verify", VerifyJson(s.verify)},
          {"seconds", s.seconds},
          {"warnings", s.warnings}};
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
  json not_computed = json::array();
  for (const mapping::NotComputedField& f : computed.not_computed) {
    not_computed.push_back({{"table", f.table_name},
                            {"field", f.field_name},
                            {"field_id", f.field_id},
                            {"type", f.type_name},
                            {"reason", f.reason}});
  }
  for (const std::string& line : mapping::NotComputedLines(computed)) {
    script += "-- not computed in SQL: " + line + "\n";
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
  mo.stop = interrupt.token();
  if (::isatty(STDERR_FILENO) != 0) {
    mo.on_progress = [](const migrate::TableSummary& t) {
      std::cerr << fmt::format("  {:<32} {:>10} read {:>10} imported {:>8} rejected  {:.1f}s\n",
                               t.table_name, t.read, t.imported, t.rejected, t.seconds);
    };
  }
  Result<migrate::MigrateSummary> summary =
      migrate::Migrate(*job->airtable.client, job->db.conn, job->db.conninfo, mo);
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
  Result<migrate::BaseVerify> verified =
      migrate::VerifyBase(*job->airtable.client, job->db.conn, job->base_id);
  if (!verified.ok()) {
    return Fail(ExplainBaseFailure(*job->airtable.client, job->base_id, verified.status()));
  }
  const migrate::VerifyReport& report = verified->report;
  if (options.json) {
    json out = VerifyJson(report);
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
  Result<migrate::RollbackResult> result = migrate::Rollback(db->conn, *base_id);
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

int RunRuns(const Config& config, const MigrateCliOptions& options) {
  std::optional<std::string> base_id;
  if (options.base || !config.airtable_base_id.empty()) {
    Result<std::string> id = ResolveBaseId(config, options.base);
    if (!id.ok()) return Fail(id.status());
    base_id = *id;
  }
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  if (base_id) {
    if (Status known = RequireKnownBase(db->conn, *base_id); !known.ok()) return Fail(known);
  }
  Result<pg::Rows> rows = db->conn.Exec(
      "SELECT r.run_id, r.base_id, r.kind, r.status, r.target_schema, "
      "coalesce(r.backup_schema, ''), to_char(r.started_at, 'YYYY-MM-DD HH24:MI:SS'), "
      "coalesce(to_char(r.finished_at, 'YYYY-MM-DD HH24:MI:SS'), ''), coalesce(r.error, ''), "
      "count(t.table_id), coalesce(sum(t.records_read), 0), coalesce(sum(t.imported), 0), "
      "coalesce(sum(t.rejected), 0), coalesce(sum(t.attachments), 0) "
      "FROM airpg.runs r LEFT JOIN airpg.run_tables t USING (run_id) "
      "WHERE $1::text IS NULL OR r.base_id = $1 "
      "GROUP BY r.run_id ORDER BY r.run_id",
      {base_id});
  if (!rows.ok()) return Fail(rows.status());
  json out = json::array();
  for (int i = 0; i < rows->size(); ++i) {
    auto num = [&](int c) { return std::stoll(std::string(rows->Get(i, c))); };
    out.push_back({{"run_id", num(0)},
                   {"base_id", std::string(rows->Get(i, 1))},
                   {"kind", std::string(rows->Get(i, 2))},
                   {"status", std::string(rows->Get(i, 3))},
                   {"schema", std::string(rows->Get(i, 4))},
                   {"backup_schema", std::string(rows->Get(i, 5))},
                   {"started_at", std::string(rows->Get(i, 6))},
                   {"finished_at", std::string(rows->Get(i, 7))},
                   {"error", std::string(rows->Get(i, 8))},
                   {"tables", num(9)},
                   {"read", num(10)},
                   {"imported", num(11)},
                   {"rejected", num(12)},
                   {"attachments", num(13)}});
  }
  if (options.json) {
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  if (out.empty()) {
    std::cout << "no runs yet\n";
    return kExitOk;
  }
  std::cout << fmt::format("{:>6} {:<18} {:<8} {:<12} {:<20} {:>6} {:>10} {:>10} {:>9}  {}\n",
                           "run", "base", "kind", "status", "started", "tables", "read", "imported",
                           "rejected", "schema / error");
  for (const json& r : out) {
    std::string tail = r["error"].get<std::string>().empty()
                           ? r["schema"].get<std::string>()
                           : "error: " + r["error"].get<std::string>();
    std::cout << fmt::format("{:>6} {:<18} {:<8} {:<12} {:<20} {:>6} {:>10} {:>10} {:>9}  {}\n",
                             r["run_id"].get<int64_t>(), r["base_id"].get<std::string>(),
                             r["kind"].get<std::string>(), r["status"].get<std::string>(),
                             r["started_at"].get<std::string>(), r["tables"].get<int64_t>(),
                             r["read"].get<int64_t>(), r["imported"].get<int64_t>(),
                             r["rejected"].get<int64_t>(), tail);
  }
  return kExitOk;
}

}  // namespace airpg::cli
