#include "sync/conflicts.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <set>

#include "sync/audit_trail.h"
#include "sync/sync_events.h"

namespace airpg::sync {
namespace {

constexpr std::string_view kColumns =
    "conflict_id, base_id, table_id, record_id, field_id, rule, base_value::text, "
    "airtable_value::text, postgres_value::text, "
    "coalesce(to_char(airtable_modified_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''), "
    "coalesce(to_char(postgres_committed_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''), "
    "status, resolution, resolved_value::text, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "coalesce(to_char(resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''), "
    "coalesce(to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')";

std::optional<std::string> Optional(const pg::Rows& rows, int row, int column) {
  if (rows.IsNull(row, column)) return std::nullopt;
  return std::string(rows.Get(row, column));
}

Conflict ConflictAt(const pg::Rows& rows, int i) {
  Conflict c;
  c.id = std::stoll(std::string(rows.Get(i, 0)));
  c.base_id = std::string(rows.Get(i, 1));
  c.table_id = std::string(rows.Get(i, 2));
  c.record_id = std::string(rows.Get(i, 3));
  c.field_id = std::string(rows.Get(i, 4));
  c.rule = std::string(rows.Get(i, 5));
  c.base_value = Optional(rows, i, 6);
  c.airtable_value = std::string(rows.Get(i, 7));
  c.postgres_value = std::string(rows.Get(i, 8));
  c.airtable_modified_at = std::string(rows.Get(i, 9));
  c.postgres_committed_at = std::string(rows.Get(i, 10));
  c.status = std::string(rows.Get(i, 11));
  c.resolution = Optional(rows, i, 12);
  c.resolved_value = Optional(rows, i, 13);
  c.created_at = std::string(rows.Get(i, 14));
  c.resolved_at = std::string(rows.Get(i, 15));
  c.applied_at = std::string(rows.Get(i, 16));
  return c;
}

std::string EpochSeconds(SyncTime t) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
  return fmt::format("{}.{:06}", micros.count() / 1000000, micros.count() % 1000000);
}

std::string_view Winner(FieldAction action) {
  return action == FieldAction::kToAirtable ? "postgres" : "airtable";
}

// Whether the field's newest conflict is a clash Postgres won against
// `airtable` (canonical JSON) from the base the field still has: Airtable
// has not moved since it lost.
Result<bool> PostgresWonAgainst(pg::Connection& conn, const FieldChange& change,
                                const std::string& airtable,
                                const std::optional<std::string>& base) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT status = 'resolved' AND resolution = 'postgres' AND airtable_value = "
                "$4::jsonb AND base_value IS NOT DISTINCT FROM $5::jsonb FROM airpg.conflicts "
                "WHERE table_id = $1 AND record_id = $2 AND field_id = $3 ORDER BY conflict_id "
                "DESC LIMIT 1",
                {change.table_id, change.record_id, change.field_id, airtable,
                 base ? pg::Param(*base) : pg::Param()}));
  return !rows.empty() && rows.Get(0, 0) == "t";
}

}  // namespace

Result<FieldDecision> ResolveFieldChange(pg::Transaction& tx, const FieldChange& change,
                                         const FieldPolicy& policy) {
  pg::Connection& conn = tx.connection();
  FieldVersions field;
  AIRPG_ASSIGN_OR_RETURN(field.base,
                         LastSynced(conn, change.table_id, change.record_id, change.field_id));
  // Compared as jsonb text, so key order and spacing do not make a change.
  AIRPG_ASSIGN_OR_RETURN(pg::Rows canonical,
                         conn.Exec("SELECT $1::jsonb::text, $2::jsonb::text, $3::jsonb::text",
                                   {change.airtable_value, change.postgres_value,
                                    field.base ? pg::Param(*field.base) : pg::Param()}));
  field.airtable = std::string(canonical.Get(0, 0));
  field.postgres = std::string(canonical.Get(0, 1));
  field.base = Optional(canonical, 0, 2);
  field.airtable_modified = change.airtable_modified;
  field.postgres_committed = change.postgres_committed;
  if (policy.authority != Authority::kAirtable && field.airtable != field.postgres) {
    // The Airtable value that already lost a decided clash to Postgres is
    // not a new Airtable edit when Postgres's value moves on (a second
    // pending change): only Postgres changed since, so it wins again, with
    // no second conflict. Deciding it afresh could flip the outcome — under
    // `latest` without a modification time, the re-read takes its own time
    // as Airtable's — and leave the sides different.
    AIRPG_ASSIGN_OR_RETURN(bool lost, PostgresWonAgainst(conn, change, field.airtable, field.base));
    if (lost) field.base = field.airtable;
  }
  FieldDecision decision = DecideField(field, policy);

  if (decision.action == FieldAction::kNone) {
    AIRPG_RETURN_IF_ERROR(RecordSynced(conn, change.base_id, change.table_id, change.record_id,
                                       change.field_id, field.airtable));
    return decision;
  }
  if (!decision.conflict) return decision;

  const bool park = decision.action == FieldAction::kPark;
  // One clash met again (a second payload of the record, the outbound
  // re-read after the inbound apply) is the same conflict: recorded once.
  AIRPG_ASSIGN_OR_RETURN(std::optional<std::string> met,
                         DecidedClash(conn, change.table_id, change.record_id, change.field_id,
                                      field.airtable, field.postgres));
  if (met && (park ? *met == "open" : *met == Winner(decision.action))) return decision;
  std::vector<pg::Param> params = {change.base_id,
                                   change.table_id,
                                   change.record_id,
                                   change.field_id,
                                   std::string(ConflictRuleName(policy.rule)),
                                   field.base ? pg::Param(*field.base) : pg::Param(),
                                   field.airtable,
                                   field.postgres,
                                   EpochSeconds(change.airtable_modified),
                                   EpochSeconds(change.postgres_committed)};
  if (park) {
    AIRPG_RETURN_IF_ERROR(conn.Run(
        "INSERT INTO airpg.conflicts (base_id, table_id, record_id, field_id, rule, base_value, "
        "airtable_value, postgres_value, airtable_modified_at, postgres_committed_at) "
        "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, "
        "to_timestamp($9::double precision), to_timestamp($10::double precision)) "
        "ON CONFLICT (table_id, record_id, field_id) WHERE status = 'open' DO UPDATE SET "
        "rule = EXCLUDED.rule, airtable_value = EXCLUDED.airtable_value, "
        "postgres_value = EXCLUDED.postgres_value, "
        "airtable_modified_at = EXCLUDED.airtable_modified_at, "
        "postgres_committed_at = EXCLUDED.postgres_committed_at",
        params));
  } else {
    // Decided by the rule at once: kept as resolved (and applied by the
    // caller's write), so the history shows what the loser held.
    params.push_back(std::string(Winner(decision.action)));
    AIRPG_RETURN_IF_ERROR(conn.Run(
        "INSERT INTO airpg.conflicts (base_id, table_id, record_id, field_id, rule, base_value, "
        "airtable_value, postgres_value, airtable_modified_at, postgres_committed_at, status, "
        "resolution, resolved_value, resolved_at, applied_at) "
        "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, "
        "to_timestamp($9::double precision), to_timestamp($10::double precision), 'resolved', "
        "$11, CASE WHEN $11 = 'airtable' THEN $7::jsonb ELSE $8::jsonb END, now(), now())",
        params));
  }
  const std::string outcome(park ? "parked" : Winner(decision.action));
  AIRPG_RETURN_IF_ERROR(RecordEvent(
      conn,
      {change.base_id, change.table_id, "conflict", 1, 0, std::nullopt,
       fmt::format(R"({{"record":"{}","field":"{}","rule":"{}","outcome":"{}"}})", change.record_id,
                   change.field_id, ConflictRuleName(policy.rule), outcome)}));
  nlohmann::json detail = {
      {"field", change.field_id},
      {"rule", std::string(ConflictRuleName(policy.rule))},
      {"outcome", outcome},
      {"base", field.base ? nlohmann::json::parse(*field.base, nullptr, false) : nlohmann::json()},
      {"airtable", nlohmann::json::parse(field.airtable, nullptr, false)},
      {"postgres", nlohmann::json::parse(field.postgres, nullptr, false)}};
  AIRPG_RETURN_IF_ERROR(WriteAuditEntry(
      conn, {change.table_id, change.record_id, "CONFLICT", change.origin, detail.dump()}));
  return decision;
}

Status RecordSynced(pg::Connection& conn, const std::string& base_id, const std::string& table_id,
                    const std::string& record_id, const std::string& field_id,
                    const std::string& value_json) {
  return conn.Run(
      "INSERT INTO airpg.field_sync_state (base_id, table_id, record_id, field_id, value) "
      "VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (table_id, record_id, field_id) DO UPDATE "
      "SET value = EXCLUDED.value, synced_at = now()",
      {base_id, table_id, record_id, field_id, value_json});
}

Status SeedSynced(pg::Connection& conn, const std::string& base_id, const std::string& table_id,
                  const std::string& record_id, const std::string& field_id,
                  const std::string& value_json) {
  return conn.Run(
      "INSERT INTO airpg.field_sync_state (base_id, table_id, record_id, field_id, value) "
      "VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (table_id, record_id, field_id) DO NOTHING",
      {base_id, table_id, record_id, field_id, value_json});
}

Result<std::optional<std::string>> LastSynced(pg::Connection& conn, const std::string& table_id,
                                              const std::string& record_id,
                                              const std::string& field_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT value::text FROM airpg.field_sync_state WHERE table_id = $1 AND "
                "record_id = $2 AND field_id = $3",
                {table_id, record_id, field_id}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::string(rows.Get(0, 0)));
}

Result<std::vector<Conflict>> ListConflicts(pg::Connection& conn, const std::string& status,
                                            int limit) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec(fmt::format("SELECT {} FROM airpg.conflicts WHERE $1 = '' OR status = $1 "
                            "ORDER BY conflict_id DESC LIMIT $2::integer",
                            kColumns),
                {status, std::to_string(limit)}));
  std::vector<Conflict> out;
  for (int i = 0; i < rows.size(); ++i) out.push_back(ConflictAt(rows, i));
  return out;
}

Result<std::map<std::string, int64_t>> OpenConflictsByTable(pg::Connection& conn,
                                                            const std::string& base_id) {
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                         conn.Exec("SELECT table_id, count(*) FROM airpg.conflicts WHERE "
                                   "base_id = $1 AND status = 'open' GROUP BY table_id",
                                   {base_id}));
  std::map<std::string, int64_t> out;
  for (int i = 0; i < rows.size(); ++i) {
    out[std::string(rows.Get(i, 0))] = std::stoll(std::string(rows.Get(i, 1)));
  }
  return out;
}

Result<Conflict> GetConflict(pg::Connection& conn, int64_t id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec(
          fmt::format("SELECT {} FROM airpg.conflicts WHERE conflict_id = $1::bigint", kColumns),
          {std::to_string(id)}));
  if (rows.empty()) return NotFoundError(fmt::format("no conflict {}", id));
  return ConflictAt(rows, 0);
}

Result<Conflict> ResolveConflict(pg::Connection& conn, int64_t id, Take take,
                                 const std::string& value_json) {
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      tx.Exec("SELECT status, base_id, table_id, record_id, field_id FROM airpg.conflicts "
              "WHERE conflict_id = "
              "$1::bigint FOR UPDATE",
              {std::to_string(id)}));
  if (rows.empty()) return NotFoundError(fmt::format("no conflict {}", id));
  if (rows.Get(0, 0) != "open") {
    return FailedPreconditionError(fmt::format("conflict {} is already resolved", id));
  }
  const std::string resolution = take == Take::kAirtable   ? "airtable"
                                 : take == Take::kPostgres ? "postgres"
                                                           : "value";
  AIRPG_RETURN_IF_ERROR(
      tx.Run("UPDATE airpg.conflicts SET status = 'resolved', resolution = $2, "
             "resolved_value = CASE $2 WHEN 'airtable' THEN airtable_value "
             "WHEN 'postgres' THEN postgres_value ELSE $3::jsonb END, resolved_at = now() "
             "WHERE conflict_id = $1::bigint",
             {std::to_string(id), resolution,
              take == Take::kValue ? pg::Param(value_json) : pg::Param()}));
  AIRPG_RETURN_IF_ERROR(RecordEvent(
      tx.connection(),
      {std::string(rows.Get(0, 1)), std::string(rows.Get(0, 2)), "conflict_resolved", 1, 0,
       std::nullopt, fmt::format(R"({{"conflict":{},"take":"{}"}})", id, resolution)}));
  nlohmann::json detail = {
      {"conflict", id}, {"field", std::string(rows.Get(0, 4))}, {"take", resolution}};
  if (take == Take::kValue) detail["value"] = nlohmann::json::parse(value_json, nullptr, false);
  AIRPG_RETURN_IF_ERROR(WriteAuditEntry(
      tx.connection(), {std::string(rows.Get(0, 2)), std::string(rows.Get(0, 3)), "RESOLVE",
                        take == Take::kAirtable ? "airtable" : "postgres", detail.dump()}));
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return GetConflict(conn, id);
}

Result<std::vector<Conflict>> UnappliedResolutions(pg::Connection& conn,
                                                   const std::string& base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec(fmt::format("SELECT {} FROM airpg.conflicts WHERE base_id = $1 AND "
                            "status = 'resolved' AND applied_at IS NULL ORDER BY conflict_id",
                            kColumns),
                {base_id}));
  std::vector<Conflict> out;
  for (int i = 0; i < rows.size(); ++i) out.push_back(ConflictAt(rows, i));
  return out;
}

Status MarkApplied(pg::Connection& conn, int64_t id) {
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  AIRPG_RETURN_IF_ERROR(MarkApplied(tx, id));
  return tx.Commit();
}

Status MarkApplied(pg::Transaction& tx, int64_t id) {
  AIRPG_ASSIGN_OR_RETURN(Conflict c, GetConflict(tx.connection(), id));
  if (c.status != "resolved" || !c.resolved_value) {
    return FailedPreconditionError(fmt::format("conflict {} is not resolved", id));
  }
  AIRPG_RETURN_IF_ERROR(
      tx.Run("UPDATE airpg.conflicts SET applied_at = now() WHERE conflict_id = $1::bigint",
             {std::to_string(id)}));
  // A whole-record conflict (field "": deleted_records.h) has no field base.
  if (c.field_id.empty()) return Status::Ok();
  return RecordSynced(tx.connection(), c.base_id, c.table_id, c.record_id, c.field_id,
                      *c.resolved_value);
}

Result<std::optional<std::string>> DecidedClash(pg::Connection& conn, const std::string& table_id,
                                                const std::string& record_id,
                                                const std::string& field_id,
                                                const std::string& airtable_value,
                                                const std::string& postgres_value) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT CASE WHEN status = 'open' THEN 'open' ELSE resolution END FROM "
                "airpg.conflicts WHERE table_id = $1 AND record_id = $2 AND field_id = $3 AND "
                "airtable_value = $4::jsonb AND postgres_value = $5::jsonb ORDER BY conflict_id "
                "DESC LIMIT 1",
                {table_id, record_id, field_id, airtable_value, postgres_value}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::string(rows.Get(0, 0)));
}

Result<std::set<std::string>> FieldsHeldBack(pg::Connection& conn, const std::string& table_id,
                                             const std::string& record_id,
                                             const std::string& cells_json, bool hold_in_sync) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec(
          "SELECT e.key FROM jsonb_each($3::jsonb) e WHERE EXISTS (SELECT 1 FROM "
          "airpg.conflicts c WHERE c.table_id = $1 AND c.record_id = $2 AND c.field_id = "
          "e.key AND c.status = 'open') OR ($4 AND EXISTS (SELECT 1 FROM airpg.field_sync_state "
          "s WHERE s.table_id = $1 AND s.record_id = $2 AND s.field_id = e.key AND s.value "
          "= e.value))",
          {table_id, record_id, cells_json, hold_in_sync ? "true" : "false"}));
  std::set<std::string> out;
  for (int i = 0; i < rows.size(); ++i) out.emplace(rows.Get(i, 0));
  return out;
}

}  // namespace airpg::sync
