// Shadow diffs: the differences shadow reads found between Airtable's
// answer (served) and the same request answered from Postgres
// (airpg.shadow_diffs, the one owning module of that catalog table), and the
// per-table, per-field summary `airpg shadow report` prints.
// CompareAnswers is pure; the rest are thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "airtable/wire/json_read.h"
#include "base/result.h"
#include "pg/connection.h"

namespace airpg::api {

struct ShadowDiff {
  std::string base_id;
  std::string table_id;
  std::string request;
  std::string record_id;
  std::string field;                          // "" when the whole record is missing on one side
  std::optional<std::string> airtable_value;  // JSON
  std::optional<std::string> postgres_value;
};

// The differences between two answers to one list or get request (bodies
// with "records", or one record): by record id, then field.
std::vector<ShadowDiff> CompareAnswers(const airtable::wire::Json& airtable,
                                       const airtable::wire::Json& postgres);

// The field name of the one difference recorded when Postgres could not
// answer a request Airtable answered (its status and body as the value).
inline constexpr char kShadowAnswerField[] = "(answer)";

// The differences between Airtable's answer and Postgres's, which came with
// HTTP `postgres_status`: a Postgres error is one difference naming it, not a
// "missing" row per record of Airtable's answer.
std::vector<ShadowDiff> CompareShadowAnswers(const airtable::wire::Json& airtable,
                                             int postgres_status, const std::string& postgres_body);

Status RecordShadowDiffs(pg::Connection& conn, const std::vector<ShadowDiff>& diffs);

struct ShadowSummary {
  std::string base_id;
  std::string table_id;
  std::string field;
  int64_t count = 0;
  std::string last_at;
  std::string last_record_id;
};
// Per table and field ("" = missing records), most differences first.
Result<std::vector<ShadowSummary>> SummarizeShadowDiffs(pg::Connection& conn,
                                                        std::string_view base_id);

}  // namespace airpg::api
