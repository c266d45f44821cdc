// ProxiedWriteMark: a write `airpg serve` proxies to Airtable is marked on
// the records it names from just before it is sent until Airtable's answer
// is applied to Postgres (api/route_handover.h, sync/proxied_writes.h). In
// between, Airtable holds a value Postgres does not know yet; the outbox's
// read before write (sync/outbox_reread.h) asks which records are marked and
// waits for them instead of taking that value for an Airtable edit
// (docs/serve.md, "Flipping a route"). The marks are session-level shared
// advisory locks: several writes mark one record at once, nobody waits for
// them, and a process that dies mid-request leaves none behind. In pg/
// because api/ takes them and sync/ reads them. Thread-compatible (one
// request's connection).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::pg {

// The record id that stands for every record of a table: the mark of a
// write that names none (an upsert merged on fields).
inline constexpr char kEveryRecord[] = "*";

class ProxiedWriteMark {
 public:
  // Marks `record_ids` (kEveryRecord: the whole table) of table `table_id`
  // on `conn`, which must outlive the mark.
  static Result<ProxiedWriteMark> Take(Connection& conn, const std::string& table_id,
                                       const std::vector<std::string>& record_ids);

  ProxiedWriteMark() = default;
  ProxiedWriteMark(ProxiedWriteMark&& other) noexcept { *this = std::move(other); }
  ProxiedWriteMark& operator=(ProxiedWriteMark&& other) noexcept;
  ~ProxiedWriteMark();

  // Removes the marks (also done by the destructor, which logs a failure).
  Status Release();

 private:
  Connection* conn_ = nullptr;  // null: nothing marked
  std::string table_id_;
  std::vector<std::string> record_ids_;
};

// The ids among `record_ids` of table `table_id` that a write proxied by any
// session has marked now (all of them when the whole table is marked).
Result<std::set<std::string>> RecordsWithProxiedWrites(Connection& conn,
                                                       const std::string& table_id,
                                                       const std::vector<std::string>& record_ids);

}  // namespace airpg::pg
