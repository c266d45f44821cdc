#include "sync/dead_letters.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "pg/quote.h"
#include "sync/iso_time.h"

namespace airpg::sync {
namespace {

const std::string& Columns() {
  static const std::string columns = fmt::format(
      "dead_letter_id, base_id, table_id, record_id, coalesce(field_id, ''), source, payload, "
      "reason, status, attempts, {}, {}",
      IsoTimeSql("created_at"), IsoTimeSql("updated_at"));
  return columns;
}

DeadLetter ReadLetter(const pg::Rows& rows, int i) {
  DeadLetter d;
  d.id = std::stoll(std::string(rows.Get(i, 0)));
  d.base_id = rows.Get(i, 1);
  d.table_id = rows.Get(i, 2);
  d.record_id = rows.Get(i, 3);
  d.field_id = rows.Get(i, 4);
  d.source = rows.Get(i, 5);
  d.payload = rows.Get(i, 6);
  d.reason = rows.Get(i, 7);
  d.status = rows.Get(i, 8);
  d.attempts = std::stoi(std::string(rows.Get(i, 9)));
  d.created_at = rows.Get(i, 10);
  d.updated_at = rows.Get(i, 11);
  return d;
}

}  // namespace

Status LetterMalformedRecords(pg::Transaction& tx, const std::string& base_id,
                              const std::string& table_id, const std::string& source,
                              const std::vector<CellFailure>& records) {
  for (const CellFailure& r : records) {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows again,
        tx.Exec("UPDATE airpg.dead_letters SET attempts = attempts + 1, payload = $4, "
                "updated_at = now() WHERE table_id = $1 AND record_id = $2 AND field_id IS NULL "
                "AND reason = $3 AND status IN ('retrying', 'dead')",
                {table_id, r.record_id, r.reason, r.payload}));
    if (again.AffectedRows() > 0) continue;
    AIRPG_RETURN_IF_ERROR(
        tx.Run("INSERT INTO airpg.dead_letters (base_id, table_id, record_id, field_id, source, "
               "payload, reason, status) VALUES ($1, $2, $3, NULL, $4, $5, $6, 'dead')",
               {base_id, table_id, r.record_id, source, r.payload, r.reason}));
  }
  return Status::Ok();
}

Result<int64_t> RecordApplyOutcome(pg::Transaction& tx, const std::string& base_id,
                                   const std::string& table_id, const std::string& source,
                                   const std::vector<std::string>& applied,
                                   const std::vector<CellFailure>& failures, int max_attempts) {
  std::vector<std::optional<std::string>> records, fields, payloads, reasons, retry;
  for (const auto& f : failures) {
    records.push_back(f.record_id);
    fields.push_back(f.field_id);
    payloads.push_back(f.payload);
    reasons.push_back(f.reason);
    retry.push_back(f.retry ? "t" : "f");
  }
  std::vector<std::optional<std::string>> applied_ids(applied.begin(), applied.end());
  std::vector<pg::Param> params = {table_id,
                                   pg::ArrayLiteral(applied_ids),
                                   pg::ArrayLiteral(records),
                                   pg::ArrayLiteral(fields),
                                   pg::ArrayLiteral(payloads),
                                   pg::ArrayLiteral(reasons),
                                   pg::ArrayLiteral(retry),
                                   std::to_string(max_attempts),
                                   base_id,
                                   source};
  // Every statement names every parameter it is given (Postgres insists):
  // failures are always among the applied records, so $2 can bound them.
  auto First = [&](size_t n) { return std::vector<pg::Param>(params.begin(), params.begin() + n); };
  const std::string failing =
      "SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bool[]) "
      "AS x(record_id, field_id, payload, reason, retry)";
  AIRPG_RETURN_IF_ERROR(
      tx.Run("UPDATE airpg.dead_letters d SET status = 'superseded', updated_at = now() "
             "WHERE d.table_id = $1 AND d.record_id = ANY($2::text[]) "
             "AND d.status IN ('retrying', 'dead') AND NOT EXISTS (" +
                 failing + " WHERE x.record_id = d.record_id AND x.field_id = d.field_id)",
             First(7)));
  AIRPG_RETURN_IF_ERROR(tx.Run(
      "UPDATE airpg.dead_letters d SET attempts = d.attempts + 1, payload = x.payload, "
      "reason = x.reason, updated_at = now(), status = CASE WHEN x.retry AND d.attempts + 1 < "
      "$8::int THEN 'retrying' ELSE 'dead' END FROM (" +
          failing +
          ") x WHERE d.table_id = $1 AND d.record_id = ANY($2::text[]) "
          "AND d.record_id = x.record_id AND d.field_id = x.field_id "
          "AND d.status IN ('retrying', 'dead')",
      First(8)));
  AIRPG_RETURN_IF_ERROR(tx.Run(
      "INSERT INTO airpg.dead_letters (base_id, table_id, record_id, field_id, source, payload, "
      "reason, status) SELECT $9, $1, x.record_id, x.field_id, $10, x.payload, x.reason, "
      "CASE WHEN x.retry AND 1 < $8::int THEN 'retrying' ELSE 'dead' END FROM (" +
          failing +
          ") x WHERE x.record_id = ANY($2::text[]) AND NOT EXISTS (SELECT 1 FROM "
          "airpg.dead_letters d WHERE d.table_id = $1 "
          "AND d.record_id = x.record_id AND d.field_id = x.field_id "
          "AND d.status IN ('retrying', 'dead'))",
      params));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows open,
      tx.Exec("SELECT count(*) FROM airpg.dead_letters WHERE table_id = $1 AND record_id = "
              "ANY($2::text[]) AND status IN ('retrying', 'dead')",
              {params[0], params[1]}));
  return std::stoll(std::string(open.Get(0, 0)));
}

Status DeadLetterPayload(pg::Transaction& tx, const std::string& base_id, int64_t number,
                         const std::string& payload_json, const std::string& reason) {
  return tx.Run(
      "INSERT INTO airpg.dead_letters (base_id, table_id, record_id, source, payload, reason, "
      "status) VALUES ($1, '', '', 'webhook', $2, $3, 'dead')",
      {base_id, payload_json,
       fmt::format("webhook payload {} could not be read: {}", number, reason)});
}

bool IsDeadLetterStatus(std::string_view status) {
  for (std::string_view known : kDeadLetterStatuses) {
    if (known == status) return true;
  }
  return false;
}

Result<std::vector<DeadLetter>> ListDeadLetters(pg::Connection& conn, const std::string& base_id,
                                                const std::string& status, int limit) {
  if (!status.empty() && !IsDeadLetterStatus(status)) {
    return InvalidArgumentError(fmt::format("--status {}: not a dead letter status ({})", status,
                                            fmt::join(kDeadLetterStatuses, ", ")));
  }
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec(fmt::format("SELECT {} FROM airpg.dead_letters WHERE ($1 = '' OR base_id = $1) "
                            "AND (CASE WHEN $2 = '' THEN status IN ('retrying', 'dead') "
                            "ELSE status = $2 END) ORDER BY dead_letter_id DESC LIMIT $3::int",
                            Columns()),
                {base_id, status, std::to_string(limit)}));
  std::vector<DeadLetter> out;
  for (int i = 0; i < rows.size(); ++i) out.push_back(ReadLetter(rows, i));
  return out;
}

Result<DeadLetter> GetDeadLetter(pg::Connection& conn, int64_t id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec(fmt::format("SELECT {} FROM airpg.dead_letters WHERE dead_letter_id = $1::bigint",
                            Columns()),
                {std::to_string(id)}));
  if (rows.empty()) return NotFoundError(fmt::format("no dead letter {}", id));
  return ReadLetter(rows, 0);
}

Status CloseDeadLetters(pg::Connection& conn, const std::vector<int64_t>& ids,
                        const std::string& status) {
  std::vector<std::optional<std::string>> texts;
  for (int64_t id : ids) texts.push_back(std::to_string(id));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("UPDATE airpg.dead_letters SET status = $2, updated_at = now() "
                "WHERE dead_letter_id = ANY($1::bigint[]) AND status IN ('retrying', 'dead') "
                "RETURNING dead_letter_id",
                {pg::ArrayLiteral(texts), status}));
  if (rows.empty()) return NotFoundError("no open dead letter among the ids given");
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> OpenDeadLetterCells(
    pg::Connection& conn, const std::string& table_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT record_id, field_id FROM airpg.dead_letters WHERE table_id = $1 "
                "AND field_id IS NOT NULL AND status IN ('retrying', 'dead')",
                {table_id}));
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i < rows.size(); ++i) out.emplace_back(rows.Get(i, 0), rows.Get(i, 1));
  return out;
}

}  // namespace airpg::sync
