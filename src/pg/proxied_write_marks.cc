#include "pg/proxied_write_marks.h"

#include <algorithm>
#include <utility>

#include "base/log.h"

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

// The two int4 keys of a mark: the table's, then the record's. pg_locks
// shows them as classid and objid (oids: the int4's 32 bits), objsubid 2.
constexpr char kTableKey[] = "hashtext('airpg.proxied:' || $1)";

}  // namespace

Result<ProxiedWriteMark> ProxiedWriteMark::Take(Connection& conn, const std::string& table_id,
                                                const std::vector<std::string>& record_ids) {
  ProxiedWriteMark mark;
  mark.record_ids_ = record_ids;
  std::sort(mark.record_ids_.begin(), mark.record_ids_.end());
  mark.record_ids_.erase(std::unique(mark.record_ids_.begin(), mark.record_ids_.end()),
                         mark.record_ids_.end());
  if (mark.record_ids_.empty()) return mark;
  // Shared: only an exclusive holder of the same key could make this wait,
  // and no one takes one.
  AIRPG_RETURN_IF_ERROR(conn.Run(std::string("SELECT pg_advisory_lock_shared(") + kTableKey +
                                     ", hashtext(k)) FROM unnest($2::text[]) k",
                                 {table_id, TextArray(mark.record_ids_)}));
  mark.conn_ = &conn;
  mark.table_id_ = table_id;
  return mark;
}

ProxiedWriteMark& ProxiedWriteMark::operator=(ProxiedWriteMark&& other) noexcept {
  if (this == &other) return *this;
  if (Status s = Release(); !s.ok()) log::Warn("proxied write mark: {}", s.ToString());
  conn_ = std::exchange(other.conn_, nullptr);
  table_id_ = std::move(other.table_id_);
  record_ids_ = std::move(other.record_ids_);
  return *this;
}

ProxiedWriteMark::~ProxiedWriteMark() {
  if (Status s = Release(); !s.ok()) log::Warn("proxied write mark: {}", s.ToString());
}

Status ProxiedWriteMark::Release() {
  Connection* conn = std::exchange(conn_, nullptr);
  if (conn == nullptr) return Status::Ok();
  return conn->Run(std::string("SELECT pg_advisory_unlock_shared(") + kTableKey +
                       ", hashtext(k)) FROM unnest($2::text[]) k",
                   {table_id_, TextArray(record_ids_)});
}

Result<std::set<std::string>> RecordsWithProxiedWrites(Connection& conn,
                                                       const std::string& table_id,
                                                       const std::vector<std::string>& record_ids) {
  std::set<std::string> out;
  if (record_ids.empty()) return out;
  AIRPG_ASSIGN_OR_RETURN(
      Rows rows,
      conn.Exec(std::string("SELECT k FROM unnest($2::text[]) k WHERE EXISTS (SELECT 1 FROM "
                            "pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND "
                            "l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE "
                            "datname = current_database()) AND l.classid::bigint = (") +
                    kTableKey +
                    "::bigint & 4294967295) AND l.objid::bigint IN (hashtext(k)::bigint & "
                    "4294967295, hashtext($3)::bigint & 4294967295))",
                {table_id, TextArray(record_ids), std::string(kEveryRecord)}));
  for (int i = 0; i < rows.size(); ++i) out.emplace(rows.Get(i, 0));
  return out;
}

}  // namespace airpg::pg
