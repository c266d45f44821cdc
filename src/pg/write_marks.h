// WriteMark: a write to Airtable whose answer is not in Postgres yet, marked
// on the records it names from just before it is sent until the answer is
// applied. In between, Airtable holds values Postgres does not know; what
// reads Airtable meanwhile asks for the marks instead of taking those values
// for an Airtable edit:
//   - kServeProxy: a write `airpg serve` proxies (api/route_handover.h,
//     sync/proxied_writes.h); the outbox's read before write
//     (sync/outbox_reread.h) puts a marked record's changes back for the
//     next round (docs/serve.md, "A proxied write is no Airtable edit").
//   - kOutbox: an update the outbox sends (sync/outbox_dispatcher.cc); a
//     webhook payload cycle waits for it before reading the records its
//     payloads name, so the payload of airpg's own write finds its answer
//     applied (docs/two-way-sync.md, "Echo suppression").
// The marks are session-level shared advisory locks: several writes mark one
// record at once, and a process that dies mid-request leaves none behind.
// In pg/ because api/ and sync/ both use them. Thread-compatible (one
// connection).
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::pg {

enum class WriteSource { kServeProxy, kOutbox };

// The record id that stands for every record of a table: the mark of a
// write that names none (an upsert merged on fields).
inline constexpr char kEveryRecord[] = "*";

class WriteMark {
 public:
  // Marks `record_ids` (kEveryRecord: the whole table) of table `table_id`
  // on `conn`, which must outlive the mark. Waits only while
  // WaitUntilUnmarked waits for one of them.
  static Result<WriteMark> Take(Connection& conn, WriteSource source, const std::string& table_id,
                                const std::vector<std::string>& record_ids);

  WriteMark() = default;
  WriteMark(WriteMark&& other) noexcept { *this = std::move(other); }
  WriteMark& operator=(WriteMark&& other) noexcept;
  ~WriteMark();

  // Removes the marks (also done by the destructor, which logs a failure).
  Status Release();

 private:
  Connection* conn_ = nullptr;  // null: nothing marked
  WriteSource source_ = WriteSource::kOutbox;
  std::string table_id_;
  std::vector<std::string> record_ids_;  // sorted, unique
};

// The ids among `record_ids` of table `table_id` that a write from `source`
// marks now, in any session (all of them when the whole table is marked).
Result<std::set<std::string>> MarkedRecords(Connection& conn, WriteSource source,
                                            const std::string& table_id,
                                            const std::vector<std::string>& record_ids);

// Waits until no write from `source` marks any of `records` (table id →
// record ids), each wait at most `wait`. False when one ran out.
// REQUIRES: no transaction open on `conn` (it runs a short one).
Result<bool> WaitUntilUnmarked(Connection& conn, WriteSource source,
                               const std::map<std::string, std::set<std::string>>& records,
                               std::chrono::milliseconds wait);

}  // namespace airpg::pg
