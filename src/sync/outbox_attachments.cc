#include "sync/outbox_attachments.h"

#include <fmt/core.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "base/log.h"
#include "pg/quote.h"
#include "pg/transaction.h"
#include "sync/authority.h"

namespace airpg::sync {
namespace {

using nlohmann::json;

// One claimed cell.
struct Cell {
  std::string table_id, record_id, field_id, schema;
  std::vector<std::string> removed_ids;  // att… ids deleted in Postgres
  std::string changed_at;                // as claimed: a later change keeps the cell queued
  int attempts = 0;
};

// One airpg.attachments row of the cell.
struct Row {
  int position = 0;
  std::string attachment_id;  // "" while not in Airtable
  std::string filename, content_type, sha256;
  int64_t size = 0;
  // A file added by URL through `airpg serve` (catalog_v16): sent as that
  // URL, which Airtable fetches, whether or not serve has its bytes yet.
  std::string source_url;
};

// What went wrong with a cell, for its outbox row.
struct Failure {
  Status status;
  bool dead = false;  // not worth sending again (422, no URL route)
};

class CellSender {
 public:
  CellSender(airtable::Client& client, pg::Connection& conn, blobs::BlobStore& store,
             const std::string& base_id, const AttachmentDispatchOptions& options,
             AttachmentDispatchReport& report)
      : client_(client),
        conn_(conn),
        store_(store),
        base_id_(base_id),
        options_(options),
        report_(report) {}

  // Sends the cell's changes; records every answer as it comes.
  Result<std::optional<Failure>> Send(const Cell& cell) {
    AIRPG_ASSIGN_OR_RETURN(std::vector<Row> rows, ReadRows(cell));
    std::vector<Row> small, large;
    std::set<std::string> known;
    bool signed_urls = false;  // a large file needs a URL airpg serves
    for (const Row& r : rows) {
      if (!r.attachment_id.empty()) {
        known.insert(r.attachment_id);
      } else if (!r.source_url.empty() || r.size > options_.upload_max_bytes) {
        large.push_back(r);  // sent as a URL, in the cell's order
        signed_urls |= r.source_url.empty();
      } else {
        small.push_back(r);
      }
    }
    // Queued with nothing to add or remove: the cell was reordered in Postgres.
    bool reordered = cell.removed_ids.empty() && large.empty() && small.empty() && !known.empty();
    if (signed_urls && !options_.blob_url) {
      return std::optional<Failure>(Failure{
          FailedPreconditionError(fmt::format(
              "attachment \"{}\" is larger than {} bytes and no URL airpg serves is configured "
              "for Airtable to fetch it from",
              large.front().filename, options_.upload_max_bytes)),
          true});
    }
    // Airtable's cell, when the change needs it: removals and URLs replace
    // the whole cell (what Airtable added meanwhile is kept), and a retry
    // looks there for what a lost answer added.
    json airtable_cell = json::array();
    if (!cell.removed_ids.empty() || !large.empty() || reordered ||
        (cell.attempts > 1 && !small.empty())) {
      ++report_.requests;
      Result<airtable::Record> record = client_.GetRecord(base_id_, cell.table_id, cell.record_id,
                                                          true, airtable::Priority::kWrite);
      if (!record.ok()) return std::optional<Failure>(Failure{record.status(), false});
      if (auto text = record->Cell(cell.field_id)) {
        airtable_cell = json::parse(*text, nullptr, false);
        if (!airtable_cell.is_array()) airtable_cell = json::array();
      }
    }
    if (cell.attempts > 1) {
      AIRPG_RETURN_IF_ERROR(Adopt(cell, airtable_cell, known, small));
      AIRPG_RETURN_IF_ERROR(Adopt(cell, airtable_cell, known, large));
    }
    if (reordered && !OrderDiffers(rows, airtable_cell)) reordered = false;
    if (!cell.removed_ids.empty() || !large.empty() || reordered) {
      if (auto failed = Replace(cell, airtable_cell, rows, large)) return failed;
    }
    for (const Row& r : small) {
      if (auto failed = Upload(cell, r)) return failed;
    }
    return std::optional<Failure>();
  }

 private:
  Result<std::vector<Row>> ReadRows(const Cell& cell) {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows rows,
        conn_.Exec("SELECT position, coalesce(attachment_id, ''), filename, "
                   "coalesce(content_type, ''), coalesce(size, 0), coalesce(sha256, ''), "
                   "coalesce(source_url, '') FROM airpg.attachments "
                   "WHERE schema_name = $1 AND record_id = $2 AND field_id = $3 ORDER BY position",
                   {cell.schema, cell.record_id, cell.field_id}));
    std::vector<Row> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back({std::stoi(std::string(rows.Get(i, 0))), std::string(rows.Get(i, 1)),
                     std::string(rows.Get(i, 2)), std::string(rows.Get(i, 3)),
                     std::string(rows.Get(i, 5)), std::stoll(std::string(rows.Get(i, 4))),
                     std::string(rows.Get(i, 6))});
    }
    return out;
  }

  // An attachment in Airtable that airpg does not know, of the same filename
  // and size as a pending row, is that row's earlier send whose answer was
  // lost: recorded, not sent again.
  Status Adopt(const Cell& cell, const json& airtable_cell, std::set<std::string>& known,
               std::vector<Row>& pending) {
    std::vector<Row> still;
    for (const Row& r : pending) {
      std::string found;
      for (const json& item : airtable_cell) {
        std::string id = item.value("id", "");
        if (id.empty() || known.count(id)) continue;
        // A file sent by URL has no size of airpg's to compare.
        if (item.value("filename", "") == r.filename &&
            (!r.source_url.empty() || item.value("size", int64_t{-1}) == r.size)) {
          found = id;
          break;
        }
      }
      if (found.empty()) {
        still.push_back(r);
        continue;
      }
      known.insert(found);
      ++report_.adopted;
      AIRPG_RETURN_IF_ERROR(Record(cell, r, found, {}));
    }
    pending = std::move(still);
    return Status::Ok();
  }

  // Whether Airtable's cell holds the attachments both sides know in
  // another order than Postgres's rows.
  static bool OrderDiffers(const std::vector<Row>& rows, const json& airtable_cell) {
    std::set<std::string> in_airtable;
    for (const json& item : airtable_cell) in_airtable.insert(item.value("id", ""));
    std::vector<std::string> ours, theirs;
    std::set<std::string> known;
    for (const Row& r : rows) {
      if (!in_airtable.count(r.attachment_id)) continue;
      ours.push_back(r.attachment_id);
      known.insert(r.attachment_id);
    }
    for (const json& item : airtable_cell) {
      std::string id = item.value("id", "");
      if (known.count(id)) theirs.push_back(id);
    }
    return ours != theirs;
  }

  // One update of the field in Postgres's order: the attachments both sides
  // have (less the removed ones) and a URL for each file sent by URL (a large
  // file's signed URL, a file added by URL through serve), then those
  // Airtable added that Postgres does not know yet.
  std::optional<Failure> Replace(const Cell& cell, const json& airtable_cell,
                                 const std::vector<Row>& rows, const std::vector<Row>& large) {
    std::set<std::string> removed(cell.removed_ids.begin(), cell.removed_ids.end());
    std::set<std::string> in_airtable;
    for (const json& item : airtable_cell) in_airtable.insert(item.value("id", ""));
    json value = json::array();
    std::set<std::string> kept;
    for (const Row& r : rows) {
      if (!r.attachment_id.empty()) {
        if (!in_airtable.count(r.attachment_id) || removed.count(r.attachment_id)) continue;
        value.push_back({{"id", r.attachment_id}});
        kept.insert(r.attachment_id);
      } else if (!r.source_url.empty()) {
        value.push_back({{"url", r.source_url}, {"filename", r.filename}});
      } else if (r.size > options_.upload_max_bytes) {
        value.push_back({{"url", options_.blob_url(r.sha256)}, {"filename", r.filename}});
      }
    }
    for (const json& item : airtable_cell) {
      std::string id = item.value("id", "");
      if (id.empty() || removed.count(id) || kept.count(id)) continue;
      value.push_back({{"id", id}});
      kept.insert(id);
    }
    airtable::RecordWrite write;
    write.id = cell.record_id;
    write.fields.emplace_back(cell.field_id, value.dump());
    airtable::WriteOptions write_options;
    write_options.return_fields_by_field_id = true;
    ++report_.requests;
    airtable::BatchOutcome out =
        client_.WriteBatch(base_id_, cell.table_id, {write}, {}, write_options);
    if (!out.status.ok()) {
      return Failure{out.status, out.status.code() == StatusCode::kInvalidArgument};
    }
    // Airtable answers the new items in the order sent, after the kept ones.
    std::vector<std::string> added;
    if (!out.result.records.empty()) {
      if (auto text = out.result.records.front().Cell(cell.field_id)) {
        json answer = json::parse(*text, nullptr, false);
        if (answer.is_array()) {
          for (const json& item : answer) {
            std::string id = item.value("id", "");
            if (!id.empty() && !kept.count(id)) added.push_back(id);
          }
        }
      }
    }
    report_.removed += static_cast<int64_t>(removed.size());
    for (size_t i = 0; i < large.size(); ++i) {
      ++report_.linked;
      Status recorded = Record(cell, large[i], i < added.size() ? added[i] : "",
                               i == 0 ? cell.removed_ids : std::vector<std::string>());
      if (!recorded.ok()) return Failure{recorded, false};
    }
    if (large.empty()) {
      Status recorded = ForgetRemoved(cell);
      if (!recorded.ok()) return Failure{recorded, false};
    }
    return std::nullopt;
  }

  std::optional<Failure> Upload(const Cell& cell, const Row& r) {
    Result<std::string> bytes = store_.Read(conn_, r.sha256);
    if (!bytes.ok()) return Failure{bytes.status(), bytes.status().code() == StatusCode::kNotFound};
    ++report_.requests;
    airtable::ApiError error;
    Result<airtable::Record> answer = client_.UploadAttachment(
        base_id_, cell.record_id, cell.field_id, r.content_type, r.filename, *bytes, &error);
    if (!answer.ok()) {
      return Failure{answer.status(), answer.status().code() == StatusCode::kInvalidArgument};
    }
    ++report_.uploaded;
    // Airtable appends the file: the last attachment of the cell airpg does not know.
    std::string added;
    if (auto text = answer->Cell(cell.field_id)) {
      json items = json::parse(*text, nullptr, false);
      Result<std::vector<Row>> rows = ReadRows(cell);
      if (!rows.ok()) return Failure{rows.status(), false};
      std::set<std::string> known;
      for (const Row& row : *rows) known.insert(row.attachment_id);
      if (items.is_array()) {
        for (auto it = items.rbegin(); it != items.rend() && added.empty(); ++it) {
          std::string id = it->value("id", "");
          if (!id.empty() && !known.count(id)) added = id;
        }
      }
    }
    Status recorded = Record(cell, r, added, {});
    if (!recorded.ok()) return Failure{recorded, false};
    return std::nullopt;
  }

  // Records Airtable's id of a sent row (its echo then changes nothing), and
  // forgets the removals that went with it. The echo may have been applied
  // first, as a row of its own: then that row is the attachment and the
  // pending one goes.
  Status Record(const Cell& cell, const Row& r, const std::string& attachment_id,
                const std::vector<std::string>& sent_removals) {
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn_));
    AIRPG_RETURN_IF_ERROR(tx.Run("SET LOCAL airpg.origin = 'airtable'"));
    std::vector<pg::Param> where = {cell.schema, cell.record_id, cell.field_id,
                                    std::to_string(r.position)};
    if (attachment_id.empty()) {
      log::Warn("outbox: Airtable's answer for \"{}\" of record {} names no new attachment",
                r.filename, cell.record_id);
    } else {
      AIRPG_ASSIGN_OR_RETURN(
          pg::Rows echoed,
          tx.Exec("SELECT 1 FROM airpg.attachments WHERE schema_name = $1 AND record_id = $2 AND "
                  "field_id = $3 AND attachment_id = $4",
                  {cell.schema, cell.record_id, cell.field_id, attachment_id}));
      if (echoed.size() > 0) {
        AIRPG_RETURN_IF_ERROR(
            tx.Run("DELETE FROM airpg.attachments WHERE schema_name = $1 AND record_id = $2 AND "
                   "field_id = $3 AND position = $4::int AND attachment_id IS NULL",
                   where));
      } else {
        where.push_back(attachment_id);
        AIRPG_RETURN_IF_ERROR(
            tx.Run("UPDATE airpg.attachments SET attachment_id = $5 WHERE schema_name = $1 AND "
                   "record_id = $2 AND field_id = $3 AND position = $4::int AND attachment_id IS "
                   "NULL",
                   where));
      }
    }
    if (!sent_removals.empty()) AIRPG_RETURN_IF_ERROR(ForgetRemovedIn(tx, cell, sent_removals));
    return tx.Commit();
  }

  Status ForgetRemoved(const Cell& cell) {
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn_));
    AIRPG_RETURN_IF_ERROR(ForgetRemovedIn(tx, cell, cell.removed_ids));
    return tx.Commit();
  }

  static Status ForgetRemovedIn(pg::Transaction& tx, const Cell& cell,
                                const std::vector<std::string>& ids) {
    return tx.Run(
        "UPDATE airpg.attachment_outbox SET removed_ids = ARRAY(SELECT x FROM unnest(removed_ids) "
        "x WHERE x <> ALL($4::text[])) WHERE table_id = $1 AND record_id = $2 AND field_id = $3",
        {cell.table_id, cell.record_id, cell.field_id,
         pg::ArrayLiteral(std::vector<pg::Param>(ids.begin(), ids.end()))});
  }

  airtable::Client& client_;
  pg::Connection& conn_;
  blobs::BlobStore& store_;
  const std::string& base_id_;
  const AttachmentDispatchOptions& options_;
  AttachmentDispatchReport& report_;
};

Result<std::vector<Cell>> Claim(pg::Connection& conn, const std::string& base_id,
                                const AttachmentDispatchOptions& options) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("WITH due AS (SELECT table_id, record_id, field_id FROM airpg.attachment_outbox "
                " WHERE base_id = $1 AND status = 'pending' AND available_at <= clock_timestamp() "
                "   AND (lease_until IS NULL OR lease_until < clock_timestamp()) "
                " ORDER BY available_at LIMIT $2::int FOR UPDATE SKIP LOCKED) "
                "UPDATE airpg.attachment_outbox o SET lease_owner = $3, attempts = o.attempts + 1, "
                " lease_until = clock_timestamp() + $4::bigint * interval '1 millisecond' FROM due "
                "WHERE o.table_id = due.table_id AND o.record_id = due.record_id "
                " AND o.field_id = due.field_id "
                "RETURNING o.table_id, o.record_id, o.field_id, o.schema_name, "
                " array_to_json(o.removed_ids)::text, o.changed_at::text, o.attempts",
                {base_id, std::to_string(options.max_cells), options.owner,
                 std::to_string(options.lease.count())}));
  std::vector<Cell> cells;
  for (int i = 0; i < rows.size(); ++i) {
    Cell c;
    c.table_id = rows.Get(i, 0);
    c.record_id = rows.Get(i, 1);
    c.field_id = rows.Get(i, 2);
    c.schema = rows.Get(i, 3);
    json removed = json::parse(rows.Get(i, 4), nullptr, false);
    if (removed.is_array()) {
      for (const json& id : removed) c.removed_ids.push_back(id.get<std::string>());
    }
    c.changed_at = rows.Get(i, 5);
    c.attempts = std::stoi(std::string(rows.Get(i, 6)));
    cells.push_back(std::move(c));
  }
  return cells;
}

std::vector<pg::Param> Key(const Cell& c) { return {c.table_id, c.record_id, c.field_id}; }

// Done: the row goes, unless the cell changed again since it was claimed.
Status Complete(pg::Connection& conn, const Cell& c) {
  std::vector<pg::Param> params = Key(c);
  params.push_back(c.changed_at);
  AIRPG_RETURN_IF_ERROR(
      conn.Run("DELETE FROM airpg.attachment_outbox WHERE table_id = $1 AND record_id = $2 AND "
               "field_id = $3 AND changed_at = $4::timestamptz",
               params));
  return conn.Run(
      "UPDATE airpg.attachment_outbox SET lease_owner = NULL, lease_until = NULL, attempts = 0 "
      "WHERE table_id = $1 AND record_id = $2 AND field_id = $3",
      Key(c));
}

Status Fail(pg::Connection& conn, const Cell& c, const Failure& failure,
            const AttachmentDispatchOptions& options) {
  std::vector<pg::Param> params = Key(c);
  params.push_back(failure.status.ToString());
  if (failure.dead) {
    return conn.Run(
        "UPDATE airpg.attachment_outbox SET status = 'dead', last_error = $4, lease_owner = NULL, "
        "lease_until = NULL WHERE table_id = $1 AND record_id = $2 AND field_id = $3",
        params);
  }
  auto delay = std::min<std::chrono::milliseconds>(
      options.retry_initial * (1LL << std::min(std::max(c.attempts, 1) - 1, 10)),
      std::chrono::minutes(1));
  params.push_back(std::to_string(delay.count()));
  return conn.Run(
      "UPDATE airpg.attachment_outbox SET last_error = $4, lease_owner = NULL, lease_until = "
      "NULL, available_at = clock_timestamp() + $5::bigint * interval '1 millisecond' "
      "WHERE table_id = $1 AND record_id = $2 AND field_id = $3",
      params);
}

}  // namespace

Result<AttachmentDispatchReport> DispatchAttachments(airtable::Client& client, pg::Connection& conn,
                                                     blobs::BlobStore& store,
                                                     const std::string& base_id,
                                                     const AttachmentDispatchOptions& options) {
  AttachmentDispatchReport report;
  AIRPG_ASSIGN_OR_RETURN(pg::Rows stopped,
                         conn.Exec("SELECT 1 FROM airpg.sync_bases WHERE base_id = $1 AND "
                                   "writes_stopped IS NOT NULL",
                                   {base_id}));
  if (stopped.size() > 0) return report;  // the row dispatcher says why
  AIRPG_ASSIGN_OR_RETURN(std::vector<Cell> cells, Claim(conn, base_id, options));
  report.claimed = static_cast<int64_t>(cells.size());
  if (cells.empty()) return report;
  AIRPG_ASSIGN_OR_RETURN(auto authority, LoadAuthority(conn, base_id));
  CellSender sender(client, conn, store, base_id, options, report);
  for (size_t i = 0; i < cells.size(); ++i) {
    const Cell& cell = cells[i];
    auto auth = authority.find(cell.table_id);
    if (auth == authority.end() || auth->second.Of(cell.field_id) == Authority::kAirtable) {
      // The authority changed since the capture: Airtable's side stands.
      AIRPG_RETURN_IF_ERROR(Complete(conn, cell));
      continue;
    }
    AIRPG_ASSIGN_OR_RETURN(std::optional<Failure> failure, sender.Send(cell));
    if (!failure) {
      AIRPG_RETURN_IF_ERROR(Complete(conn, cell));
      continue;
    }
    const StatusCode code = failure->status.code();
    if (code == StatusCode::kNotFound && !failure->dead) {
      // The record is gone in Airtable: the delete sweep tombstones the row.
      AIRPG_RETURN_IF_ERROR(Complete(conn, cell));
      continue;
    }
    log::Warn("outbox: attachments of record {} field {}: {}", cell.record_id, cell.field_id,
              failure->status.ToString());
    if (failure->dead)
      ++report.dead;
    else
      ++report.rescheduled;
    AIRPG_RETURN_IF_ERROR(Fail(conn, cell, *failure, options));
    if (code == StatusCode::kUnauthenticated || code == StatusCode::kPermissionDenied) {
      // The token was refused: the rest waits for the operator.
      for (size_t j = i + 1; j < cells.size(); ++j) {
        AIRPG_RETURN_IF_ERROR(Fail(conn, cells[j], *failure, options));
      }
      return failure->status;
    }
  }
  return report;
}

Result<int64_t> PendingAttachmentCells(pg::Connection& conn, const std::string& base_id) {
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                         conn.Exec("SELECT count(*) FROM airpg.attachment_outbox WHERE base_id = "
                                   "$1 AND status = 'pending'",
                                   {base_id}));
  return std::stoll(std::string(rows.Get(0, 0)));
}

}  // namespace airpg::sync
