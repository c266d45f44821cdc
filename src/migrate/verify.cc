#include "migrate/verify.h"

#include <fmt/core.h>

#include "base/sql_identifier.h"
#include "migrate/migrator.h"
#include "migrate/postgres_checksums.h"
#include "migrate/record_checksum.h"

namespace airpg::migrate {
namespace {
constexpr size_t kExamples = 10;
}

bool VerifyReport::clean() const {
  for (const auto& t : tables) {
    if (!t.clean()) return false;
  }
  return true;
}

TableVerify CompareChecksums(const mapping::TablePlan& table,
                             const std::map<std::string, std::string>& airtable,
                             const std::map<std::string, std::string>& postgres) {
  TableVerify out;
  out.table_id = table.table_id;
  out.table_name = table.table_name;
  out.airtable_records = static_cast<int64_t>(airtable.size());
  out.postgres_records = static_cast<int64_t>(postgres.size());
  auto example = [&](std::string text) {
    if (out.examples.size() < kExamples) out.examples.push_back(std::move(text));
  };
  for (const auto& [id, sum] : airtable) {
    auto it = postgres.find(id);
    if (it == postgres.end()) {
      ++out.missing_in_postgres;
      example(fmt::format("{}: missing in Postgres", id));
    } else if (it->second != sum) {
      ++out.different;
      example(fmt::format("{}: values differ", id));
    }
  }
  for (const auto& [id, sum] : postgres) {
    if (airtable.count(id) == 0) {
      ++out.missing_in_airtable;
      example(fmt::format("{}: in Postgres, not in Airtable", id));
    }
  }
  return out;
}

Result<VerifyReport> VerifyStaging(pg::Connection& conn, std::string_view staging_schema,
                                   const mapping::SchemaPlan& plan, int64_t run_id) {
  VerifyReport report;
  for (const auto& table : plan.tables) {
    AIRPG_ASSIGN_OR_RETURN(SkipMap skip, ReadRejectedCells(conn, run_id, table.table_id));
    AIRPG_ASSIGN_OR_RETURN(auto postgres, PostgresChecksums(conn, staging_schema, plan, table, skip,
                                                            /*with_links=*/false));
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows rows,
        conn.Exec(fmt::format("SELECT record_id, checksum FROM {} WHERE table_id = $1",
                              QualifiedName(staging_schema, "_checksums")),
                  {table.table_id}));
    std::map<std::string, std::string> airtable;
    for (int i = 0; i < rows.size(); ++i) airtable[std::string(rows.Get(i, 0))] = rows.Get(i, 1);
    report.tables.push_back(CompareChecksums(table, airtable, postgres));
  }
  return report;
}

Result<VerifyReport> VerifyAgainstAirtable(airtable::Client& client, pg::Connection& conn,
                                           std::string_view base_id, std::string_view schema,
                                           const mapping::SchemaPlan& plan, int64_t run_id) {
  VerifyReport report;
  for (const auto& table : plan.tables) {
    AIRPG_ASSIGN_OR_RETURN(SkipMap skip, ReadRejectedCells(conn, run_id, table.table_id));
    AIRPG_ASSIGN_OR_RETURN(auto postgres, PostgresChecksums(conn, schema, plan, table, skip,
                                                            /*with_links=*/true));
    std::map<std::string, std::string> airtable;
    airtable::ListOptions options;
    options.return_fields_by_field_id = true;
    airtable::RecordPager pager =
        client.ListRecords(base_id, table.table_id, options, airtable::Priority::kVerification);
    static const std::set<std::string, std::less<>> kNone;
    for (;;) {
      AIRPG_ASSIGN_OR_RETURN(auto page, pager.Next());
      if (!page) break;
      for (const auto& record : page->records) {
        auto it = skip.find(record.id);
        AIRPG_ASSIGN_OR_RETURN(
            std::string sum,
            AirtableRecordChecksum(table, record, it == skip.end() ? kNone : it->second,
                                   /*with_links=*/true));
        airtable[record.id] = std::move(sum);
      }
    }
    report.tables.push_back(CompareChecksums(table, airtable, postgres));
  }
  return report;
}

Result<BaseVerify> VerifyBase(airtable::Client& client, pg::Connection& conn,
                              std::string_view base_id) {
  std::string base(base_id);
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT schema_name, active_run_id FROM airpg.bases WHERE base_id = $1", {base}));
  if (rows.empty() || rows.IsNull(0, 1)) {
    return FailedPreconditionError(fmt::format(
        "base {} has not been migrated yet: run `airpg migrate --base {}`", base_id, base_id));
  }
  BaseVerify out;
  out.schema = rows.Get(0, 0);
  out.run_id = std::stoll(std::string(rows.Get(0, 1)));
  AIRPG_ASSIGN_OR_RETURN(mapping::SchemaPlan plan, PlanBase(client, &conn, base_id, {}));
  AIRPG_ASSIGN_OR_RETURN(
      out.report, VerifyAgainstAirtable(client, conn, base_id, out.schema, plan, out.run_id));
  return out;
}

}  // namespace airpg::migrate
