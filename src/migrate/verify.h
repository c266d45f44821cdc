// Verification: per table, the record count and one canonical checksum per
// record from each side, compared. Differences the rejects ledger explains
// are left out (the rejected cells are skipped on both sides); anything else
// is reported. The post-load check compares against the checksums the load
// computed from Airtable's cells (no extra requests; links are checked by
// `airpg verify`, which reads Airtable again and includes them).
// Verification never stops at a value: a record one side cannot checksum (a
// value its column cannot hold: too many decimals, a NUL, a huge number)
// counts as different with the reason, and a table whose records cannot be
// read at all is reported with its error while the other tables go on.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "airtable/client.h"
#include "base/result.h"
#include "mapping/schema_plan.h"
#include "pg/connection.h"

namespace airpg::migrate {

struct TableVerify {
  std::string table_id;
  std::string table_name;
  int64_t airtable_records = 0;
  int64_t postgres_records = 0;
  int64_t missing_in_postgres = 0;
  int64_t missing_in_airtable = 0;
  int64_t different = 0;
  std::vector<std::string> examples;  // the first few differences, for people
  // Why the table could not be compared at all ("" when it was); also the
  // first example.
  std::string error;
  bool clean() const {
    return error.empty() && missing_in_postgres + missing_in_airtable + different == 0;
  }
};

struct VerifyReport {
  std::vector<TableVerify> tables;
  bool clean() const;
};

// The checksum a side gives a record it could not checksum: never equal to
// another, so the record counts as different, with `reason` in the example.
std::string UnverifiableChecksum(std::string_view reason);

// One side's (record id, checksum) pairs in ascending id order (bytewise);
// false after the last. Repeated ids count once, the last checksum winning.
using ChecksumSource = std::function<Result<bool>(std::string* record_id, std::string* checksum)>;

// Compares two sides by merging them in id order, holding one record of
// each at a time. kInternal when a side is not in ascending order.
Result<TableVerify> MergeChecksums(const mapping::TablePlan& table, const ChecksumSource& airtable,
                                   const ChecksumSource& postgres);

TableVerify CompareChecksums(const mapping::TablePlan& table,
                             const std::map<std::string, std::string>& airtable,
                             const std::map<std::string, std::string>& postgres);

// The staging schema of `run_id` against the checksums its load stored, both
// read through cursors (memory does not grow with the tables).
Result<VerifyReport> VerifyStaging(pg::Connection& conn, std::string_view staging_schema,
                                   const mapping::SchemaPlan& plan, int64_t run_id);

// How far the reading of one table from Airtable is: after each page, and
// once more with `done` (for progress output).
struct VerifyProgress {
  std::string table_id;
  std::string table_name;
  int64_t records = 0;
  int64_t pages = 0;
  int64_t postgres_records = 0;  // what Airtable is expected to hold
  bool done = false;
};
using VerifyProgressCallback = std::function<void(const VerifyProgress&)>;

// The live schema against Airtable, read again now (verification priority).
Result<VerifyReport> VerifyAgainstAirtable(airtable::Client& client, pg::Connection& conn,
                                           std::string_view base_id, std::string_view schema,
                                           const mapping::SchemaPlan& plan, int64_t run_id,
                                           const VerifyProgressCallback& on_progress = {});

// The base's live schema (airpg.bases) against Airtable, planned with the
// catalog's names. kFailedPrecondition when the base was never migrated.
struct BaseVerify {
  std::string schema;
  int64_t run_id = 0;
  VerifyReport report;
};
Result<BaseVerify> VerifyBase(airtable::Client& client, pg::Connection& conn,
                              std::string_view base_id,
                              const VerifyProgressCallback& on_progress = {});

}  // namespace airpg::migrate
