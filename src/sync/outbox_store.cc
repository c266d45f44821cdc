#include "sync/outbox_store.h"

#include <fmt/core.h>

#include "sync/iso_time.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace airpg::sync {
namespace {

std::string Millis(std::chrono::milliseconds ms) {
  return fmt::format("{} milliseconds", ms.count());
}

// {1,2,3}: the ids as one bigint[] parameter.
std::string IdArray(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

}  // namespace

Result<std::vector<OutboxChange>> ClaimChanges(pg::Connection& conn, const std::string& base_id,
                                               const ClaimOptions& options) {
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  // One claimer of the base at a time: the "no live lease on the record"
  // test below is then exact, so no record is sent by two workers at once.
  AIRPG_RETURN_IF_ERROR(
      tx.Run("SELECT pg_advisory_xact_lock(hashtext('airpg.outbox:' || $1))", {base_id}));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      tx.Exec("WITH ready AS ("
              "  SELECT table_id, row_id, min(outbox_id) AS first_id FROM airpg.outbox"
              "   WHERE base_id = $1 AND status = 'pending'"
              "   GROUP BY table_id, row_id"
              "  HAVING bool_and(available_at <= clock_timestamp())"
              "     AND (max(created_at) <= clock_timestamp() - $2::interval"
              "          OR min(created_at) <= clock_timestamp() - 10 * $2::interval)"
              "     AND NOT bool_or(coalesce(lease_until > clock_timestamp(), false))"
              "   ORDER BY first_id LIMIT $4),"
              " claim AS ("
              "  SELECT o.outbox_id FROM airpg.outbox o JOIN ready r USING (table_id, row_id)"
              "   WHERE o.status = 'pending' FOR UPDATE OF o SKIP LOCKED)"
              " UPDATE airpg.outbox o SET lease_owner = $3,"
              "        lease_until = clock_timestamp() + $5::interval, attempts = o.attempts + 1"
              "   FROM claim c WHERE o.outbox_id = c.outbox_id"
              " RETURNING o.outbox_id, o.table_id, coalesce(o.field_id, ''), o.row_id,"
              "   coalesce(o.airtable_id, ''), o.operation,"
              "   coalesce(array_to_json(o.changed_columns)::text, '[]'), "
              "coalesce(o.old_row::text, ''),"
              "   coalesce(o.new_row::text, ''), o.attempts, o.released",
              {base_id, Millis(options.debounce), options.owner,
               std::to_string(options.max_records), Millis(options.lease)}));
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  std::vector<OutboxChange> out;
  out.reserve(rows.size());
  for (int i = 0; i < rows.size(); ++i) {
    OutboxChange c;
    c.outbox_id = std::stoll(std::string(rows.Get(i, 0)));
    c.table_id = rows.Get(i, 1);
    c.field_id = rows.Get(i, 2);
    c.row_id = std::stoll(std::string(rows.Get(i, 3)));
    c.airtable_id = rows.Get(i, 4);
    c.operation = rows.Get(i, 5);
    nlohmann::json columns = nlohmann::json::parse(rows.Get(i, 6), nullptr, false);
    if (columns.is_array()) {
      for (const auto& col : columns) {
        if (col.is_string()) c.changed_columns.push_back(col.get<std::string>());
      }
    }
    c.old_row = rows.Get(i, 7);
    c.new_row = rows.Get(i, 8);
    c.attempts = std::stoi(std::string(rows.Get(i, 9)));
    c.released = rows.Get(i, 10) == "t";
    out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(), [](const OutboxChange& a, const OutboxChange& b) {
    return std::tie(a.table_id, a.row_id, a.outbox_id) <
           std::tie(b.table_id, b.row_id, b.outbox_id);
  });
  return out;
}

Status CompleteChanges(pg::Transaction& tx, const std::vector<int64_t>& ids) {
  if (ids.empty()) return Status::Ok();
  return tx.Run(
      "UPDATE airpg.outbox SET status = 'done', done_at = now(), lease_owner = NULL, "
      "lease_until = NULL, last_error = NULL WHERE outbox_id = ANY($1::bigint[])",
      {IdArray(ids)});
}

Status RescheduleChanges(pg::Connection& conn, const std::vector<int64_t>& ids,
                         std::chrono::milliseconds delay, const std::string& reason) {
  if (ids.empty()) return Status::Ok();
  return conn.Run(
      "UPDATE airpg.outbox SET lease_owner = NULL, lease_until = NULL, available_at = "
      "clock_timestamp() + $2::interval, last_error = nullif($3, '') WHERE outbox_id = "
      "ANY($1::bigint[]) AND status = 'pending'",
      {IdArray(ids), Millis(delay), reason});
}

Status DeadLetterChanges(pg::Connection& conn, const std::vector<int64_t>& ids,
                         const std::string& request, const std::string& response,
                         const std::string& error_type, const std::string& reason) {
  if (ids.empty()) return Status::Ok();
  return conn.Run(
      "UPDATE airpg.outbox SET status = 'dead', lease_owner = NULL, lease_until = NULL, "
      "request = $2, response = $3, error_type = nullif($4, ''), last_error = $5, done_at = now() "
      "WHERE outbox_id = ANY($1::bigint[])",
      {IdArray(ids), request, response, error_type, reason});
}

Result<int64_t> ReplayDeadChanges(pg::Connection& conn, const std::string& base_id,
                                  const std::vector<int64_t>& ids) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("UPDATE airpg.outbox SET status = 'pending', attempts = 0, available_at = "
                "clock_timestamp(), done_at = NULL, released = true WHERE base_id = $1 AND status "
                "= 'dead' AND "
                "(cardinality($2::bigint[]) = 0 OR outbox_id = ANY($2::bigint[]))",
                {base_id, IdArray(ids)}));
  return rows.AffectedRows();
}

Result<std::vector<int64_t>> UnknownChanges(pg::Connection& conn, const std::string& base_id,
                                            const std::vector<int64_t>& ids) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT id FROM unnest($2::bigint[]) AS id WHERE NOT EXISTS (SELECT FROM "
                "airpg.outbox o WHERE o.base_id = $1 AND o.outbox_id = id) ORDER BY id",
                {base_id, IdArray(ids)}));
  std::vector<int64_t> out;
  for (int i = 0; i < rows.size(); ++i) out.push_back(std::stoll(std::string(rows.Get(i, 0))));
  return out;
}

Result<std::vector<DeadChange>> ListDeadChanges(pg::Connection& conn, const std::string& base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT outbox_id, table_id, row_id, coalesce(error_type, ''), "
                "coalesce(last_error, ''), coalesce(request, ''), coalesce(response, '') FROM "
                "airpg.outbox WHERE base_id = $1 AND status = 'dead' ORDER BY outbox_id",
                {base_id}));
  std::vector<DeadChange> out;
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back({std::stoll(std::string(rows.Get(i, 0))), std::string(rows.Get(i, 1)),
                   std::stoll(std::string(rows.Get(i, 2))), std::string(rows.Get(i, 3)),
                   std::string(rows.Get(i, 4)), std::string(rows.Get(i, 5)),
                   std::string(rows.Get(i, 6))});
  }
  return out;
}

Status QueueFollowUp(pg::Transaction& tx, const std::string& base_id, const OutboxChange& change,
                     const std::vector<std::string>& columns, std::chrono::milliseconds delay) {
  nlohmann::json cols = columns;
  return tx.Run(
      "INSERT INTO airpg.outbox (base_id, table_id, field_id, schema_name, table_name, row_id, "
      "operation, changed_columns, origin, available_at) SELECT $1, $2, nullif($3, ''), "
      "b.schema_name, t.table_name, $4::bigint, 'UPDATE', ARRAY(SELECT "
      "jsonb_array_elements_text($5::jsonb)), 'postgres', clock_timestamp() + $6::interval FROM "
      "airpg.tables t JOIN airpg.bases b USING (base_id) WHERE t.table_id = $2",
      {base_id, change.table_id, change.field_id, std::to_string(change.row_id), cols.dump(),
       Millis(delay)});
}

Result<OutboxDepth> ReadOutboxDepth(pg::Connection& conn, const std::string& table_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec(fmt::format("SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER "
                            "(WHERE status = 'dead'), coalesce({}, ''), count(*) FILTER (WHERE "
                            "status = 'pending' AND attempts > 0 AND last_error IS NOT NULL) "
                            "FROM airpg.outbox WHERE table_id = $1",
                            IsoTimeSql("min(created_at) FILTER (WHERE status = 'pending')")),
                {table_id}));
  OutboxDepth depth;
  depth.pending = std::stoll(std::string(rows.Get(0, 0)));
  depth.dead = std::stoll(std::string(rows.Get(0, 1)));
  depth.oldest_pending = rows.Get(0, 2);
  depth.failed = std::stoll(std::string(rows.Get(0, 3)));
  return depth;
}

}  // namespace airpg::sync
