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
#include <type_traits>
#include <utility>
#include <vector>

#include "base/result.h"

namespace airpg::airtable {

struct Record {
  std::string id;                        // rec…
  std::string created_time;              // ISO-8601 as sent, e.g. "2022-09-12T21:03:48.000Z"
  std::optional<int64_t> comment_count;  // only with recordMetadata=commentCount
  // Keys of the record object this build does not know, as a JSON object
  // text; empty when there were none.
  std::string unknown_keys;

  // The cells, in the order Airtable sent them: field name or fld… id (as
  // requested) and the cell's JSON. Empty cells are absent, as Airtable
  // omits them.
  size_t field_count() const { return spans_.size(); }
  std::string_view FieldKey(size_t i) const;
  std::string_view FieldJson(size_t i) const;
  // The cell's JSON, or nullopt when the record has no value for `key`.
  std::optional<std::string_view> Cell(std::string_view key) const;

  void AddField(std::string_view key, std::string_view json);
  // Room for `bytes` of keys and cells and `fields` cells (saves reallocations).
  void Reserve(size_t bytes, size_t fields) {
    text_.reserve(bytes);
    spans_.reserve(fields);
  }
  // Appends the key, then lets `write` append the JSON to `text` (one
  // allocation for a whole record instead of two per cell).
  template <typename Write>
  auto AddFieldWith(std::string_view key, Write write)
      -> decltype(write(std::declval<std::string&>()));

 private:
  struct Span {
    uint32_t key_offset, key_size, json_offset, json_size;
  };
  std::string text_;  // keys and cells back to back
  std::vector<Span> spans_;
};

template <typename Write>
auto Record::AddFieldWith(std::string_view key, Write write)
    -> decltype(write(std::declval<std::string&>())) {
  Span span;
  span.key_offset = static_cast<uint32_t>(text_.size());
  span.key_size = static_cast<uint32_t>(key.size());
  text_.append(key);
  span.json_offset = static_cast<uint32_t>(text_.size());
  auto status = write(text_);
  span.json_size = static_cast<uint32_t>(text_.size()) - span.json_offset;
  if (status.ok()) spans_.push_back(span);
  return status;
}

// A record of a listing that cannot be taken as one: not an object, no id, a
// createdTime missing or not an ISO-8601 instant, `fields` not an object, a
// cell that is not valid JSON. Kept whole for the rejects ledger
// (docs/errors.md, "The rejects ledger"); the rest of the page stands.
struct MalformedRecord {
  std::string record_id;  // "" when it has no usable id
  std::string raw_json;   // the record as sent, minified
  std::string reason;
};

// One page of a listing; `offset` is empty on the last page. `malformed`
// holds the records set aside, in page order among themselves.
struct RecordPage {
  std::vector<Record> records;
  std::vector<MalformedRecord> malformed;
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
// are kDataLoss with the reason; they never crash. In a listing page a
// record of the wrong shape is a MalformedRecord, not an error: only a body
// that is not JSON (or has no "records" array) fails the page.
Result<RecordPage> ParseRecordPage(std::string_view body);
Result<Record> ParseRecord(std::string_view body);
Result<WriteResult> ParseWriteResult(std::string_view body);
// {"records":[{"id","deleted":true}…]} or {"id","deleted":true}: the deleted ids.
Result<std::vector<std::string>> ParseDeleted(std::string_view body);

// The record as Airtable's JSON (id, createdTime, fields, commentCount and
// the unknown keys), cells exactly as they were read: for the ledger.
std::string RecordJson(const Record& record);

// Whether `text` is an instant as Airtable writes one, and nothing Postgres
// would read otherwise ("now", "epoch", "infinity" never pass):
// YYYY-MM-DDTHH:MM[:SS[.fraction]] then Z or ±HH[:]MM, every part in range.
bool IsIsoInstant(std::string_view text);

}  // namespace airpg::airtable
