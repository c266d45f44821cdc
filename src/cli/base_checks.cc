#include "cli/base_checks.h"

#include <fmt/core.h>

namespace airpg::cli {
namespace {

Status NotMigrated(const std::string& base_id) {
  return InvalidArgumentError(fmt::format(
      "base {} has not been migrated: run `airpg migrate --base {}` first (`airpg bases` lists "
      "the bases the token sees)",
      base_id, base_id));
}

}  // namespace

Status ExplainBaseFailure(airtable::Client& client, const std::string& base_id,
                          const Status& failure) {
  if (failure.code() != StatusCode::kPermissionDenied && failure.code() != StatusCode::kNotFound) {
    return failure;
  }
  Result<airtable::BaseInfo> info = client.GetBaseInfo(base_id);
  if (info.ok() || info.status().code() != StatusCode::kNotFound) return failure;
  return InvalidArgumentError(fmt::format(
      "base {} is not among the bases this token can see: check the id (`airpg bases` lists "
      "them) and the token's access",
      base_id));
}

Status RequireMigratedBase(pg::Connection& conn, const std::string& base_id) {
  Result<pg::Rows> rows = conn.Exec(
      "SELECT 1 FROM airpg.bases WHERE base_id = $1 AND active_run_id IS NOT NULL", {base_id});
  if (!rows.ok()) return rows.status();
  return rows->empty() ? NotMigrated(base_id) : Status::Ok();
}

Status RequireKnownBase(pg::Connection& conn, const std::string& base_id) {
  Result<pg::Rows> rows = conn.Exec(
      "SELECT 1 WHERE EXISTS (SELECT 1 FROM airpg.bases WHERE base_id = $1) "
      "OR EXISTS (SELECT 1 FROM airpg.runs WHERE base_id = $1) "
      "OR EXISTS (SELECT 1 FROM airpg.dead_letters WHERE base_id = $1)",
      {base_id});
  if (!rows.ok()) return rows.status();
  return rows->empty() ? NotMigrated(base_id) : Status::Ok();
}

Status CheckSchemaName(const std::string& schema) {
  if (schema == "airpg" || schema == "information_schema" || schema.rfind("pg_", 0) == 0) {
    return InvalidArgumentError(
        fmt::format("--schema {}: that schema belongs to {}: choose another", schema,
                    schema == "airpg" ? "airpg's catalog" : "Postgres"));
  }
  return Status::Ok();
}

Status CheckSchemaFree(pg::Connection& conn, const std::string& schema,
                       const std::string& base_id) {
  if (Status named = CheckSchemaName(schema); !named.ok()) return named;
  Result<pg::Rows> rows = conn.Exec(
      "SELECT coalesce((SELECT base_id FROM airpg.bases WHERE schema_name = $1), '?') "
      "FROM pg_namespace WHERE nspname = $1",
      {schema});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::Ok();
  std::string holder(rows->Get(0, 0));
  if (holder == base_id) return Status::Ok();
  return InvalidArgumentError(
      fmt::format("--schema {}: the schema exists and is {}: choose another", schema,
                  holder == "?" ? "not a mirror of airpg's" : "the mirror of base " + holder));
}

}  // namespace airpg::cli
