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

// The field name of the one difference recorded when a list that asks for
// an order (sort or view) has the records both sides returned in another
// order; its values are each side's record ids, in the order returned.
inline constexpr char kShadowOrderField[] = "(order)";

// Whether a list request asks for an order: a sort (query `sort[…]` or a
// body's "sort") or a view. Without one Airtable's order is not specified
// for the API, so it is not compared.
bool AsksForOrder(std::string_view target, std::string_view body);

// The differences between Airtable's answer and Postgres's, which came with
// HTTP `postgres_status`: a Postgres error is one difference naming it, not a
// "missing" row per record of Airtable's answer. `ordered`: the order of the
// records both answers have is compared too (kShadowOrderField).
std::vector<ShadowDiff> CompareShadowAnswers(const airtable::wire::Json& airtable,
                                             int postgres_status, const std::string& postgres_body,
                                             bool ordered = false);

// Allowance for the sync's lag (docs/serve.md, "Shadow mode"): a shadow read
// that finds differences is compared again once the sync has caught up with
// the time Airtable answered (or after a bounded wait), and only the
// differences of `second` that `first` found too (same record and field)
// are recorded. A record whose Postgres copy only lagged Airtable's latest
// change matches by then.
std::vector<ShadowDiff> PersistingDiffs(const std::vector<ShadowDiff>& first,
                                        std::vector<ShadowDiff> second);

// How far the sync's poll of `table_id` has read Airtable, in Unix
// microseconds (airpg.sync_tables.poll_watermark, which commits with the
// rows the poll applied): every change Airtable made before it is in
// Postgres. nullopt while the table was never polled.
Result<std::optional<int64_t>> PollWatermarkMicros(pg::Connection& conn,
                                                   const std::string& table_id);

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
