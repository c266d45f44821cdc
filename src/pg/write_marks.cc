#include "pg/write_marks.h"

#include <algorithm>
#include <utility>

#include "base/log.h"
#include "pg/transaction.h"

namespace airpg::pg {
namespace {

// A text[] literal of `items` (quoted, so any text is one element).
std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    out += i ? ",\"" : "\"";
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// A mark is the two int4 keys (hashtext of the source and table, hashtext of
// the record); pg_locks shows them as classid and objid (oids: the int4's 32
// bits) with objsubid 2. A collision only makes a reader wait for nothing.
std::string TableKey(WriteSource source, const std::string& table_id) {
  return (source == WriteSource::kServeProxy ? "airpg.proxied:" : "airpg.sending:") + table_id;
}

}  // namespace

Result<WriteMark> WriteMark::Take(Connection& conn, WriteSource source, const std::string& table_id,
                                  const std::vector<std::string>& record_ids) {
  WriteMark mark;
  mark.record_ids_ = record_ids;
  std::sort(mark.record_ids_.begin(), mark.record_ids_.end());
  mark.record_ids_.erase(std::unique(mark.record_ids_.begin(), mark.record_ids_.end()),
                         mark.record_ids_.end());
  if (mark.record_ids_.empty()) return mark;
  // In the order WaitUntilUnmarked takes them (unnest keeps the array's).
  AIRPG_RETURN_IF_ERROR(conn.Run(
      "SELECT pg_advisory_lock_shared(hashtext($1), hashtext(k)) FROM unnest($2::text[]) k",
      {TableKey(source, table_id), TextArray(mark.record_ids_)}));
  mark.conn_ = &conn;
  mark.source_ = source;
  mark.table_id_ = table_id;
  return mark;
}

WriteMark& WriteMark::operator=(WriteMark&& other) noexcept {
  if (this == &other) return *this;
  if (Status s = Release(); !s.ok()) log::Warn("write mark: {}", s.ToString());
  conn_ = std::exchange(other.conn_, nullptr);
  source_ = other.source_;
  table_id_ = std::move(other.table_id_);
  record_ids_ = std::move(other.record_ids_);
  return *this;
}

WriteMark::~WriteMark() {
  if (Status s = Release(); !s.ok()) log::Warn("write mark: {}", s.ToString());
}

Status WriteMark::Release() {
  Connection* conn = std::exchange(conn_, nullptr);
  if (conn == nullptr) return Status::Ok();
  return conn->Run(
      "SELECT pg_advisory_unlock_shared(hashtext($1), hashtext(k)) FROM unnest($2::text[]) k",
      {TableKey(source_, table_id_), TextArray(record_ids_)});
}

Result<std::set<std::string>> MarkedRecords(Connection& conn, WriteSource source,
                                            const std::string& table_id,
                                            const std::vector<std::string>& record_ids) {
  std::set<std::string> out;
  if (record_ids.empty()) return out;
  AIRPG_ASSIGN_OR_RETURN(
      Rows rows,
      conn.Exec("SELECT k FROM unnest($2::text[]) k WHERE EXISTS (SELECT 1 FROM pg_locks l WHERE "
                "l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database()) AND "
                "l.classid::bigint = (hashtext($1)::bigint & 4294967295) AND l.objid::bigint IN "
                "(hashtext(k)::bigint & 4294967295, hashtext($3)::bigint & 4294967295))",
                {TableKey(source, table_id), TextArray(record_ids), std::string(kEveryRecord)}));
  for (int i = 0; i < rows.size(); ++i) out.emplace(rows.Get(i, 0));
  return out;
}

Result<bool> WaitUntilUnmarked(Connection& conn, WriteSource source,
                               const std::map<std::string, std::set<std::string>>& records,
                               std::chrono::milliseconds wait) {
  for (const auto& [table_id, ids] : records) {
    if (ids.empty()) continue;
    // The exclusive lock is granted once no mark is held; taken and let go
    // at once (the transaction ends), so a write that marks the record next
    // waits for nothing but this.
    AIRPG_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn));
    AIRPG_RETURN_IF_ERROR(tx.Run("SELECT set_config('lock_timeout', $1, true)",
                                 {std::to_string(std::max<int64_t>(1, wait.count())) + "ms"}));
    Status waited = tx.Run(
        "SELECT pg_advisory_xact_lock(hashtext($1), hashtext(k)) FROM unnest($2::text[]) k",
        {TableKey(source, table_id), TextArray(std::vector<std::string>(ids.begin(), ids.end()))});
    if (waited.code() == StatusCode::kAborted) return false;  // lock_timeout: still marked
    AIRPG_RETURN_IF_ERROR(waited);
    AIRPG_RETURN_IF_ERROR(tx.Commit());
  }
  return true;
}

}  // namespace airpg::pg
