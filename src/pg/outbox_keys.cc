#include "pg/outbox_keys.h"

#include <fmt/core.h>

#include "base/sql_array.h"

namespace airpg::pg {
namespace {

// Reserved ids have Airtable's length; the outbox's own keys are UUIDs (36).
constexpr int kReservedKeyLength = 17;

}  // namespace

Result<std::string> EnsureKey(Connection& conn, const std::string& table_id, int64_t row_id) {
  AIRPG_ASSIGN_OR_RETURN(
      Rows rows,
      conn.Exec("WITH made AS (INSERT INTO airpg.outbox_keys (table_id, row_id, airpg_key) "
                "VALUES ($1, $2::bigint, gen_random_uuid()::text) ON CONFLICT DO NOTHING "
                "RETURNING airpg_key) SELECT airpg_key FROM made UNION ALL SELECT airpg_key FROM "
                "airpg.outbox_keys WHERE table_id = $1 AND row_id = $2::bigint",
                {table_id, std::to_string(row_id)}));
  if (rows.size() == 0) return InternalError("no airpg key after choosing one");
  return std::string(rows.Get(0, 0));
}

Result<std::optional<RowKey>> FindKey(Connection& conn, const std::string& table_id,
                                      int64_t row_id) {
  AIRPG_ASSIGN_OR_RETURN(Rows rows,
                         conn.Exec("SELECT airpg_key, coalesce(record_id, '') FROM "
                                   "airpg.outbox_keys WHERE table_id = $1 AND row_id = $2::bigint",
                                   {table_id, std::to_string(row_id)}));
  if (rows.size() == 0) return std::optional<RowKey>();
  return std::optional<RowKey>(RowKey{std::string(rows.Get(0, 0)), std::string(rows.Get(0, 1))});
}

Status RecordKeyedId(Transaction& tx, const std::string& table_id, int64_t row_id,
                     const std::string& record_id) {
  return tx.Run(
      "UPDATE airpg.outbox_keys SET record_id = $3 WHERE table_id = $1 AND row_id = $2::bigint",
      {table_id, std::to_string(row_id), record_id});
}

Status ForgetKeyedId(Transaction& tx, const std::string& table_id, int64_t row_id) {
  return tx.Run(
      "UPDATE airpg.outbox_keys SET record_id = NULL WHERE table_id = $1 AND row_id = $2::bigint",
      {table_id, std::to_string(row_id)});
}

Status ReserveKey(Transaction& tx, const std::string& table_id, int64_t row_id,
                  const std::string& record_id) {
  return tx.Run(
      "INSERT INTO airpg.outbox_keys (table_id, row_id, airpg_key) VALUES ($1, $2::bigint, $3)",
      {table_id, std::to_string(row_id), record_id});
}

Result<std::map<std::string, std::string>> PushedIdsOfReserved(
    Connection& conn, const std::vector<std::string>& ids) {
  std::map<std::string, std::string> out;
  if (ids.empty()) return out;
  AIRPG_ASSIGN_OR_RETURN(
      Rows rows,
      conn.Exec(fmt::format("SELECT airpg_key, record_id FROM airpg.outbox_keys WHERE airpg_key = "
                            "ANY($1::text[]) AND length(airpg_key) = {} AND record_id IS NOT NULL",
                            kReservedKeyLength),
                {ArrayLiteral({ids.begin(), ids.end()})}));
  for (int i = 0; i < rows.size(); ++i) {
    out.emplace(std::string(rows.Get(i, 0)), std::string(rows.Get(i, 1)));
  }
  return out;
}

std::string RecordIdSql(std::string_view table_param, bool any_key) {
  return fmt::format(
      "coalesce(t.airtable_id, (SELECT k.airpg_key FROM airpg.outbox_keys k WHERE k.table_id = {} "
      "AND k.row_id = t.id{}))",
      table_param, any_key ? "" : fmt::format(" AND length(k.airpg_key) = {}", kReservedKeyLength));
}

std::string ReservedRowsSql(std::string_view table_param) {
  return fmt::format(
      "SELECT k.row_id FROM airpg.outbox_keys k WHERE k.table_id = {} AND length(k.airpg_key) = "
      "{}",
      table_param, kReservedKeyLength);
}

std::string RowOfKeySql(std::string_view table_param, std::string_view key_param) {
  return fmt::format(
      "(SELECT k.row_id FROM airpg.outbox_keys k WHERE k.table_id = {} AND k.airpg_key = {})",
      table_param, key_param);
}

std::string RowsOfKeysSql(std::string_view table_param, std::string_view keys_param) {
  return fmt::format(
      "(SELECT k.row_id FROM airpg.outbox_keys k WHERE k.table_id = {} AND k.airpg_key = "
      "ANY({}))",
      table_param, keys_param);
}

}  // namespace airpg::pg
