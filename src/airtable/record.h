// The Airtable wire model of a record (API.md §2): its id, created time and
// cells. A cell is kept as the exact JSON Airtable sent (minified), so every
// format of §5.3 (REST, webhook and string forms) and every field type this
// build does not know passes through without loss; cell.h reads them typed.
// Thread-compatible values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace airpg::airtable {

struct Record {
  std::string id;            // rec…
  std::string created_time;  // ISO-8601 as sent, e.g. "2022-09-12T21:03:48.000Z"
  // Field name or fld… id (as requested) → the cell's JSON. Empty cells are
  // absent, as Airtable omits them.
  std::vector<std::pair<std::string, std::string>> fields;
  std::optional<int64_t> comment_count;  // only with recordMetadata=commentCount
  // Keys of the record object this build does not know, as a JSON object
  // text; empty when there were none.
  std::string unknown_keys;

  // The cell's JSON, or null when the record has no value for `key`.
  const std::string* Cell(std::string_view key) const;
};

// One page of a listing; `offset` is empty on the last page.
struct RecordPage {
  std::vector<Record> records;
  std::string offset;
};

// The answer to a batch write: the records in input order and, for upserts,
// which ids were created and which updated.
struct WriteResult {
  std::vector<Record> records;
  std::vector<std::string> created_record_ids;
  std::vector<std::string> updated_record_ids;
};

// A record to create (no id), update (id) or upsert (id optional); each
// value is JSON in Airtable's write format (§5.3), checked before sending.
struct RecordWrite {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
};

// Parsers of response bodies. Malformed or truncated JSON and wrong shapes
// are kDataLoss with the reason; they never crash.
Result<RecordPage> ParseRecordPage(std::string_view body);
Result<Record> ParseRecord(std::string_view body);
Result<WriteResult> ParseWriteResult(std::string_view body);
// {"records":[{"id","deleted":true}…]} or {"id","deleted":true}: the deleted ids.
Result<std::vector<std::string>> ParseDeleted(std::string_view body);

}  // namespace airpg::airtable
