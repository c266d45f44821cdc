// OutboxKeys: the one owner of airpg.outbox_keys (format: docs/two-way-sync.md)
// — a mirrored row's `airpg key`, the value the outbox sends in Airtable's
// hidden `airpg key` field and merges its creates on, so a create is sent
// exactly once. Two writers choose keys: the outbox (a UUID, for rows other
// writers made) and `airpg serve` (a reserved `rec…` id of Airtable's 17
// characters, which the API answers with until Airtable's id arrives). In
// pg/ because the sync's outbox and the API both read and write it.
// Functions over the caller's connection or transaction; single-thread. The
// *Sql functions return fragments for the API's reads, over a row alias `t`,
// taking the table id as the parameter the caller names.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"
#include "pg/transaction.h"

namespace airpg::pg {

// The airpg key of a row, chosen (a UUID) and committed before its create is
// first sent; the same key every later time.
Result<std::string> EnsureKey(Connection& conn, const std::string& table_id, int64_t row_id);

// The key and Airtable id recorded for a row (nullopt: none chosen yet).
struct RowKey {
  std::string key;
  std::string record_id;  // "" until a create's answer was recorded
};
Result<std::optional<RowKey>> FindKey(Connection& conn, const std::string& table_id,
                                      int64_t row_id);

// The Airtable id a create was answered with.
Status RecordKeyedId(Transaction& tx, const std::string& table_id, int64_t row_id,
                     const std::string& record_id);

// Forgets the Airtable id of the row's key (its record was deleted in
// Airtable and the row is to be created again): the next create is sent
// with the same key and recorded by RecordKeyedId.
Status ForgetKeyedId(Transaction& tx, const std::string& table_id, int64_t row_id);

// A row `airpg serve` created: `record_id` (reserved, 17 characters) is its key.
Status ReserveKey(Transaction& tx, const std::string& table_id, int64_t row_id,
                  const std::string& record_id);

// Airtable's ids of the reserved ids among `ids` whose records were pushed:
// reserved id → Airtable's id. Others (Airtable's own ids, ids not pushed
// yet) are left out. For `airpg serve` proxying a request that names a
// record by the id a postgres-mode create answered with.
Result<std::map<std::string, std::string>> PushedIdsOfReserved(Connection& conn,
                                                               const std::vector<std::string>& ids);

// The record id of row `t`: Airtable's, else the id reserved for it (UUID
// keys excluded, unless `any_key`: those rows have no id a client saw).
// `table_param` e.g. "$2".
std::string RecordIdSql(std::string_view table_param, bool any_key = false);

// The row ids of the table whose key is a reserved id (served before pushed).
std::string ReservedRowsSql(std::string_view table_param);

// The row whose key is `key_param` (NULL when none).
std::string RowOfKeySql(std::string_view table_param, std::string_view key_param);

// The rows whose keys are among `keys_param` (a text[]), as a subquery.
std::string RowsOfKeysSql(std::string_view table_param, std::string_view keys_param);

}  // namespace airpg::pg
