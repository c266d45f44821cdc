#include "migrate/batch_writer.h"

#include <fmt/core.h>

#include <map>
#include <span>

#include "base/sql_identifier.h"
#include "blobs/attachment_rows.h"
#include "mapping/ddl.h"
#include "pg/catalog_users.h"
#include "pg/copy_writer.h"

namespace airpg::migrate {
namespace {

constexpr const char* kSavepoint = "airpg_rows";

const std::vector<std::string>& RejectColumns() {
  static const std::vector<std::string> columns = {"run_id",   "base_id",   "table_id", "record_id",
                                                   "field_id", "raw_value", "reason"};
  return columns;
}

// Whether a failed write may be narrowed down to the rows that caused it:
// Postgres refused a value (a data or constraint error, or a state nobody
// foresaw), not the connection, the transaction or a limit of the server.
bool IsRowRefusal(const Status& s) {
  switch (s.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kCancelled:
    case StatusCode::kAborted:
    case StatusCode::kResourceExhausted:
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated:
    case StatusCode::kDataLoss:
      return false;
    default:
      return true;
  }
}

// The rows of one target table that a unit holds.
using RowsOf = std::span<const Row> (*)(const RecordRows&);

// COPYs the rows `rows_of` picks from each unit of [begin, end), if any.
Status CopyFrom(pg::Connection& conn, std::string_view schema, std::string_view table,
                const std::vector<std::string>& columns, const std::vector<RecordRows>& units,
                size_t begin, size_t end, RowsOf rows_of) {
  bool any = false;
  for (size_t i = begin; i < end && !any; ++i) any = !rows_of(units[i]).empty();
  if (!any) return Status::Ok();
  AIRPG_ASSIGN_OR_RETURN(pg::CopyWriter copy, pg::CopyWriter::Start(conn, schema, table, columns));
  for (size_t i = begin; i < end; ++i) {
    for (const Row& row : rows_of(units[i])) AIRPG_RETURN_IF_ERROR(copy.WriteRow(row));
  }
  return copy.Finish().status();
}

}  // namespace

Row BatchWriter::LedgerRow(std::string_view record_id, std::string raw, std::string reason) const {
  return {std::to_string(ctx_.run_id),
          ctx_.base_id,
          table_.table_id,
          record_id.empty() ? pg::Param() : pg::Param(std::string(record_id)),
          pg::Param(),
          std::move(raw),
          std::move(reason)};
}

void BatchWriter::Add(RecordRows rows) {
  const std::string& id = rows.record.id;
  auto it = index_.find(id);
  if (it != index_.end()) {
    RecordRows& earlier = records_[it->second];
    ledger_.push_back(LedgerRow(id,
                                "{\"kept\":" + airtable::RecordJson(rows.record) +
                                    ",\"dropped\":" + airtable::RecordJson(earlier.record) + "}",
                                "record listed twice in one listing: the last copy is kept"));
    ++counts_.set_aside;
    earlier = std::move(rows);
    return;
  }
  if (written_.count(id)) {
    // Its first copy is in the staging tables already: removed before this
    // batch is written (DeleteReplaced), in the same transaction.
    replaced_.push_back({id, airtable::RecordJson(rows.record)});
  }
  index_.emplace(id, records_.size());
  records_.push_back(std::move(rows));
}

void BatchWriter::SetAside(std::string_view record_id, std::string raw_json, std::string reason) {
  ledger_.push_back(LedgerRow(record_id, std::move(raw_json), std::move(reason)));
  ++counts_.set_aside;
}

Status BatchWriter::Write() {
  if (ctx_.dry_run) {
    for (const RecordRows& r : records_) counts_.rejected += static_cast<int64_t>(r.rejects.size());
    counts_.imported += static_cast<int64_t>(records_.size());
    counts_.rejected += static_cast<int64_t>(ledger_.size() + replaced_.size());
    counts_.set_aside += static_cast<int64_t>(replaced_.size());
  } else {
    AIRPG_RETURN_IF_ERROR(DeleteReplaced());
    std::vector<Refused> refused;
    Status first;
    AIRPG_RETURN_IF_ERROR(WriteRange(0, records_.size(), refused, first));
    // Every record of a batch refused alone: the cause is not in the data
    // (a table or type gone wrong), so the table fails rather than ledgering all.
    if (records_.size() > 1 && refused.size() == records_.size()) return first;
    for (const Refused& r : refused) {
      const RecordRows& unit = records_[r.index];
      ledger_.push_back(LedgerRow(unit.record.id, airtable::RecordJson(unit.record),
                                  "Postgres refused the record: " + r.reason));
    }
    if (!ledger_.empty()) {
      AIRPG_ASSIGN_OR_RETURN(
          pg::CopyWriter copy,
          pg::CopyWriter::Start(*ctx_.conn, "airpg", "rejects", RejectColumns()));
      for (const Row& row : ledger_) AIRPG_RETURN_IF_ERROR(copy.WriteRow(row));
      AIRPG_RETURN_IF_ERROR(copy.Finish().status());
    }
    std::vector<bool> is_refused(records_.size(), false);
    for (const Refused& r : refused) is_refused[r.index] = true;
    for (size_t i = 0; i < records_.size(); ++i) {
      if (is_refused[i]) continue;
      counts_.rejected += static_cast<int64_t>(records_[i].rejects.size());
      ++counts_.imported;
    }
    counts_.rejected += static_cast<int64_t>(ledger_.size());
    counts_.set_aside += static_cast<int64_t>(refused.size());
  }
  for (RecordRows& r : records_) written_.insert(std::move(r.record.id));
  records_.clear();
  index_.clear();
  replaced_.clear();
  ledger_.clear();
  return Status::Ok();
}

// Removes the copies written earlier of ids listed again, each with its rows
// in the scratch tables, its attachments and its cell rejects, and ledgers
// that copy as it was stored beside the one kept.
Status BatchWriter::DeleteReplaced() {
  pg::Connection& conn = *ctx_.conn;
  const std::string& schema = ctx_.staging_schema;
  std::string run = std::to_string(ctx_.run_id);
  for (const Replaced& r : replaced_) {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows stored,
        conn.Exec(fmt::format("DELETE FROM {} t WHERE airtable_id = $1 RETURNING to_jsonb(t)::text",
                              QualifiedName(schema, table_.table_name)),
                  {r.record_id}));
    AIRPG_RETURN_IF_ERROR(conn.Run(
        fmt::format("DELETE FROM {} WHERE from_record = $1", QualifiedName(schema, "_links")),
        {r.record_id}));
    AIRPG_RETURN_IF_ERROR(
        conn.Run(fmt::format("DELETE FROM {} WHERE table_id = $1 AND record_id = $2",
                             QualifiedName(schema, "_checksums")),
                 {table_.table_id, r.record_id}));
    AIRPG_RETURN_IF_ERROR(
        blobs::DeleteRecordAttachments(conn, schema, table_.table_id, r.record_id));
    AIRPG_ASSIGN_OR_RETURN(pg::Rows cells,
                           conn.Exec("DELETE FROM airpg.rejects WHERE run_id = $1::bigint AND "
                                     "table_id = $2 AND record_id = $3 AND field_id IS NOT NULL",
                                     {run, table_.table_id, r.record_id}));
    counts_.rejected -= cells.AffectedRows();
    // A first copy Postgres refused is in the ledger already, whole.
    if (stored.size() == 0) continue;
    --counts_.imported;
    std::string dropped(stored.Get(0, 0));
    ledger_.push_back(LedgerRow(
        r.record_id, "{\"kept\":" + r.kept_json + ",\"dropped_as_stored\":" + dropped + "}",
        "record listed twice in one listing: the last copy is kept"));
    ++counts_.set_aside;
  }
  return Status::Ok();
}

// Writes records_[begin, end) in a savepoint; when Postgres refuses it, the
// range is halved until each refused record stands alone in `refused`.
Status BatchWriter::WriteRange(size_t begin, size_t end, std::vector<Refused>& refused,
                               Status& first) {
  if (begin >= end) return Status::Ok();
  pg::Connection& conn = *ctx_.conn;
  AIRPG_RETURN_IF_ERROR(conn.Run(fmt::format("SAVEPOINT {}", kSavepoint)));
  Status s = CopyRange(begin, end);
  if (s.ok()) return conn.Run(fmt::format("RELEASE SAVEPOINT {}", kSavepoint));
  if (!IsRowRefusal(s)) return s;
  AIRPG_RETURN_IF_ERROR(conn.Run(fmt::format("ROLLBACK TO SAVEPOINT {}", kSavepoint)));
  AIRPG_RETURN_IF_ERROR(conn.Run(fmt::format("RELEASE SAVEPOINT {}", kSavepoint)));
  if (end - begin == 1) {
    if (first.ok()) first = s;
    refused.push_back({begin, std::string(s.message())});
    return Status::Ok();
  }
  size_t middle = begin + (end - begin) / 2;
  AIRPG_RETURN_IF_ERROR(WriteRange(begin, middle, refused, first));
  return WriteRange(middle, end, refused, first);
}

Status BatchWriter::CopyRange(size_t begin, size_t end) {
  pg::Connection& conn = *ctx_.conn;
  const std::string& schema = ctx_.staging_schema;
  std::map<std::string, const mapping::Collaborator*> users;
  for (size_t i = begin; i < end; ++i) {
    for (const auto& u : records_[i].users) users[u.id] = &u;
  }
  std::vector<pg::UserRow> user_rows;
  for (const auto& [id, u] : users) user_rows.push_back({id, u->email, u->name});
  AIRPG_RETURN_IF_ERROR(pg::UpsertUsers(conn, user_rows));
  AIRPG_RETURN_IF_ERROR(
      CopyFrom(conn, schema, table_.table_name, mapping::LoadColumns(table_), records_, begin, end,
               [](const RecordRows& u) { return std::span<const Row>(&u.main, 1); }));
  AIRPG_RETURN_IF_ERROR(CopyFrom(
      conn, schema, "_links", {"field_id", "from_record", "position", "to_record"}, records_, begin,
      end, [](const RecordRows& u) { return std::span<const Row>(u.links); }));
  AIRPG_RETURN_IF_ERROR(
      CopyFrom(conn, schema, "_checksums", {"table_id", "record_id", "checksum"}, records_, begin,
               end, [](const RecordRows& u) { return std::span<const Row>(&u.checksum, 1); }));
  AIRPG_RETURN_IF_ERROR(
      CopyFrom(conn, "airpg", "rejects", RejectColumns(), records_, begin, end,
               [](const RecordRows& u) { return std::span<const Row>(u.rejects); }));
  return CopyFrom(conn, "airpg", "attachments", blobs::AttachmentColumns(), records_, begin, end,
                  [](const RecordRows& u) { return std::span<const Row>(u.attachments); });
}

}  // namespace airpg::migrate
