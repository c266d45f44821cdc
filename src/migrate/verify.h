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
#include <optional>
#include <string>
#include <vector>

#include "airtable/client.h"
#include "base/result.h"
#include "mapping/schema_plan.h"
#include "pg/connection.h"

namespace airpg::migrate {

// One field of one record whose value differs between the two sides.
struct FieldDifference {
  std::string record_id;
  std::string field_id;
  std::string field_name;
  std::optional<std::string> airtable;  // the REST cell JSON; nullopt: empty
  std::optional<std::string> postgres;  // the cell rebuilt from Postgres
};

struct TableVerify {
  std::string table_id;
  std::string table_name;
  int64_t airtable_records = 0;
  int64_t postgres_records = 0;
  int64_t missing_in_postgres = 0;
  int64_t missing_in_airtable = 0;
  int64_t different = 0;
  std::vector<std::string> examples;  // the first few differences, for people
  // The first few records whose values differ (both sides have them), and,
  // from `airpg verify`, the fields that differ in them with both values.
  std::vector<std::string> differing_ids;
  std::vector<FieldDifference> field_differences;
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

// `text` cut to about `max` bytes (at a UTF-8 boundary) with "…" when longer.
std::string Shorten(std::string_view text, size_t max = 60);

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
// For the first few records that differ, the records are read again one by
// one and the fields that differ are named, with both values. `tables`: the
// ids of the tables to compare (all when empty).
Result<VerifyReport> VerifyAgainstAirtable(airtable::Client& client, pg::Connection& conn,
                                           std::string_view base_id, std::string_view schema,
                                           const mapping::SchemaPlan& plan, int64_t run_id,
                                           const std::vector<std::string>& tables = {},
                                           const VerifyProgressCallback& on_progress = {});

// The base's live schema (airpg.bases) against Airtable, planned with the
// catalog's names. kFailedPrecondition when the base was never migrated.
// `tables`: ids, Airtable names or Postgres names to compare (all when
// empty); one the base does not have is kInvalidArgument naming its tables.
struct BaseVerify {
  std::string schema;
  int64_t run_id = 0;
  VerifyReport report;
};
Result<BaseVerify> VerifyBase(airtable::Client& client, pg::Connection& conn,
                              std::string_view base_id, const std::vector<std::string>& tables = {},
                              const VerifyProgressCallback& on_progress = {});

}  // namespace airpg::migrate
