// The Postgres side of verification: each live (not deleted) row of a
// mirrored table rebuilt into Airtable cells — columns through PgToCell,
// links from foreign keys and junctions, collaborators from airpg.users
// references, attachments from airpg.attachments — and checksummed exactly
// as Airtable's record is (record_checksum.h). Single-thread.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "mapping/schema_plan.h"
#include "pg/connection.h"
#include "pg/cursor.h"
#include "pg/transaction.h"

namespace airpg::migrate {

// record id → fields the rejects ledger explains (left out on both sides).
using SkipMap = std::map<std::string, std::set<std::string, std::less<>>, std::less<>>;

// The cells the run's rejects ledger explains, and those the sync could not
// apply since (open dead letters): both are on record with their reason.
Result<SkipMap> ReadRejectedCells(pg::Connection& conn, int64_t run_id, std::string_view table_id);

// A row's cells rebuilt as Airtable would send them: field id → REST cell
// JSON (nullopt: empty).
using RecordCells = std::map<std::string, std::optional<std::string>, std::less<>>;

// A table's checksums in ascending record id order (bytewise: COLLATE "C",
// as std::string compares), read through a cursor a batch of rows at a time,
// so memory does not grow with the table. A row without an Airtable id
// (born in Postgres) has id "". Borrows the transaction, `plan`, `table` and
// `skip`, which must outlive it.
class PostgresChecksumReader {
 public:
  static constexpr int kBatch = 2000;

  // `cursor_name` must be unique among the transaction's open cursors.
  // `only`: just the rows of these record ids (borrowed for the call).
  static Result<PostgresChecksumReader> Open(pg::Transaction& tx, std::string_view cursor_name,
                                             std::string_view schema,
                                             const mapping::SchemaPlan& plan,
                                             const mapping::TablePlan& table, const SkipMap& skip,
                                             bool with_links,
                                             const std::vector<std::string>* only = nullptr);

  // The next row's record id and checksum; false after the last row.
  Result<bool> Next(std::string* record_id, std::string* checksum);

  // The next row's record id and cells; `unrebuildable` says why a value
  // could not be rebuilt ("" when all were; `cells` is then incomplete).
  Result<bool> NextCells(std::string* record_id, RecordCells* cells, std::string* unrebuildable);

  Status Close() { return cursor_.Close(); }

 private:
  PostgresChecksumReader(pg::Cursor cursor, const mapping::TablePlan& table, const SkipMap& skip,
                         std::vector<const mapping::FieldPlan*> fields, bool with_links)
      : cursor_(std::move(cursor)),
        table_(&table),
        skip_(&skip),
        fields_(std::move(fields)),
        with_links_(with_links) {}
  pg::Cursor cursor_;
  const mapping::TablePlan* table_;
  const SkipMap* skip_;
  std::vector<const mapping::FieldPlan*> fields_;  // column i + 1 of the cursor
  bool with_links_;
};

// The same, whole, as record id → checksum (in a transaction of its own).
Result<std::map<std::string, std::string>> PostgresChecksums(pg::Connection& conn,
                                                             std::string_view schema,
                                                             const mapping::SchemaPlan& plan,
                                                             const mapping::TablePlan& table,
                                                             const SkipMap& skip, bool with_links);

// The cells of the live rows of `record_ids` (a few: verify's details),
// rows whose values cannot be rebuilt left out. In a transaction of its own.
Result<std::map<std::string, RecordCells>> PostgresRecordCells(
    pg::Connection& conn, std::string_view schema, const mapping::SchemaPlan& plan,
    const mapping::TablePlan& table, const std::vector<std::string>& record_ids, bool with_links);

}  // namespace airpg::migrate
