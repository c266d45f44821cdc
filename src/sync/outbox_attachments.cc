#include "sync/outbox_attachments.h"

#include <fmt/core.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "base/log.h"
#include "blobs/attachment_cell_rows.h"
#include "blobs/attachment_download.h"
#include "pg/quote.h"
#include "pg/transaction.h"
#include "sync/attachment_conflicts.h"
#include "sync/attachment_queue.h"
#include "sync/attachment_record_ids.h"
#include "sync/authority.h"
#include "sync/conflicts.h"

namespace airpg::sync {
namespace {

using nlohmann::json;

using Cell = QueuedCell;

// How a sent cell ended, when not with a failure.
enum class Sent { kDone, kWaiting };

std::vector<std::string> IdsOf(const json& airtable_cell) {
  std::vector<std::string> out;
  for (const json& item : airtable_cell) {
    std::string id = item.value("id", "");
    if (!id.empty()) out.push_back(std::move(id));
  }
  return out;
}

blobs::CellKey KeyOf(const QueuedCell& cell) {
  return {cell.schema, cell.record_id, cell.field_id};
}

// One airpg.attachments row of the cell.
struct Row {
  int position = 0;
  std::string attachment_id;  // "" while not in Airtable
  std::string filename, content_type, sha256;
  int64_t size = 0;
  // A file added by URL through `airpg serve` (catalog_v15): sent as that
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

  // Sends the cell's changes as the field's rule decides them; records every
  // answer as it comes. `policy`: the field's authority and rule.
  Result<std::optional<Failure>> Send(const Cell& cell, const FieldPolicy& policy, Sent* sent) {
    *sent = Sent::kDone;
    // A conflict of the cell parked earlier holds it until an operator
    // resolves it; a resolution not applied yet decides it now.
    AIRPG_ASSIGN_OR_RETURN(std::optional<HeldCell> held,
                           FindHeldCell(conn_, cell.table_id, cell.record_id, cell.field_id));
    if (held && held->open) {
      *sent = Sent::kWaiting;
      return std::optional<Failure>();
    }
    AIRPG_ASSIGN_OR_RETURN(std::vector<Row> rows, ReadRows(cell));
    std::vector<Row> small, large;
    std::set<std::string> known;
    Split(rows, known, small, large);
    if (auto no_url = NoUrlFor(large)) return no_url;
    // Airtable's cell now: the rule needs it, removals and URLs replace the
    // whole cell, and a retry looks there for what a lost answer added.
    ++report_.requests;
    Result<airtable::Record> record = client_.GetRecord(base_id_, cell.table_id, cell.record_id,
                                                        true, airtable::Priority::kWrite);
    if (!record.ok()) return std::optional<Failure>(Failure{record.status(), false});
    json airtable_cell = json::array();
    if (auto text = record->Cell(cell.field_id)) {
      airtable_cell = json::parse(*text, nullptr, false);
      if (!airtable_cell.is_array()) airtable_cell = json::array();
    }
    std::vector<std::string> base = cell.base_ids;
    if (cell.attempts > 1) {
      AIRPG_RETURN_IF_ERROR(Adopt(cell, airtable_cell, known, small, base));
      AIRPG_RETURN_IF_ERROR(Adopt(cell, airtable_cell, known, large, base));
    }
    const std::vector<std::string> airtable_ids = IdsOf(airtable_cell);
    FieldAction action = FieldAction::kToAirtable;  // Postgres's change goes across
    if (held && held->resolution) {
      action = *held->resolution;
    } else {
      AttachmentCellVersions versions{
          base_id_,       cell.table_id, cell.record_id,   cell.field_id,
          airtable_ids,   base,          cell.removed_ids, {},
          cell.changed_at};
      for (const Row& r : small) versions.pending.emplace_back(r.filename, r.size);
      for (const Row& r : large) versions.pending.emplace_back(r.filename, r.size);
      if (AirtableChangedCell(versions)) {
        AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn_));
        AIRPG_ASSIGN_OR_RETURN(FieldDecision decision, DecideAttachmentCell(tx, versions, policy));
        AIRPG_RETURN_IF_ERROR(tx.Commit());
        if (decision.conflict) ++report_.conflicts;
        action = decision.action;
      }
    }
    const bool airtable_changed = std::set<std::string>(airtable_ids.begin(), airtable_ids.end()) !=
                                  std::set<std::string>(base.begin(), base.end());
    switch (action) {
      case FieldAction::kPark:
        *sent = Sent::kWaiting;
        return std::optional<Failure>();
      case FieldAction::kNone:
      case FieldAction::kToPostgres:
        // Airtable's cell stands: Postgres's change goes (the inbound apply
        // brings Airtable's attachments, the removed ones again).
        AIRPG_RETURN_IF_ERROR(DropPostgresChange(cell, airtable_ids));
        if (action == FieldAction::kToPostgres) ++report_.dropped;
        return Resolved(held);
      case FieldAction::kToAirtable:
        break;
    }
    if (airtable_changed) {
      // Postgres's cell wins whole: what Airtable added goes, what it
      // removed is sent again from its bytes.
      AIRPG_RETURN_IF_ERROR(PutBackPostgres(cell, airtable_ids, base));
      AIRPG_ASSIGN_OR_RETURN(rows, ReadRows(cell));
      small.clear();
      large.clear();
      known.clear();
      Split(rows, known, small, large);
      if (auto no_url = NoUrlFor(large)) return no_url;
    }
    // The attachments Airtable keeps, in Postgres's order: those both sides
    // hold less Postgres's removals; where Airtable's cell did not change,
    // also any of its own Postgres does not know (none, unless a send raced).
    std::set<std::string> removed(cell.removed_ids.begin(), cell.removed_ids.end());
    std::vector<std::string> kept;
    {
      std::set<std::string> in_airtable(airtable_ids.begin(), airtable_ids.end());
      std::set<std::string> taken;
      for (const Row& r : rows) {
        if (in_airtable.count(r.attachment_id) && !removed.count(r.attachment_id)) {
          kept.push_back(r.attachment_id);
          taken.insert(r.attachment_id);
        }
      }
      if (!airtable_changed) {
        for (const auto& id : airtable_ids) {
          if (!removed.count(id) && !taken.count(id)) kept.push_back(id);
        }
      }
    }
    // Queued with nothing to add or remove: the cell was reordered in Postgres.
    const bool reordered = cell.removed_ids.empty() && large.empty() && small.empty() &&
                           !known.empty() && OrderDiffers(rows, airtable_cell);
    if (airtable_changed || !cell.removed_ids.empty() || !large.empty() || reordered) {
      if (auto failed = Replace(cell, kept, rows, large)) return failed;
    }
    for (const Row& r : small) {
      if (auto failed = Upload(cell, r)) return failed;
    }
    return Resolved(held);
  }

 private:
  // A file over the upload limit needs a URL airpg serves: without one the
  // cell is dead, saying why.
  std::optional<Failure> NoUrlFor(const std::vector<Row>& large) const {
    if (options_.blob_url) return std::nullopt;
    for (const Row& r : large) {
      if (!r.source_url.empty()) continue;  // Airtable fetches the client's URL
      return Failure{FailedPreconditionError(fmt::format(
                         "attachment \"{}\" is larger than {} bytes and no URL airpg serves is "
                         "configured for Airtable to fetch it from",
                         r.filename, options_.upload_max_bytes)),
                     true};
    }
    return std::nullopt;
  }

  void Split(const std::vector<Row>& rows, std::set<std::string>& known, std::vector<Row>& small,
             std::vector<Row>& large) const {
    for (const Row& r : rows) {
      if (!r.attachment_id.empty()) {
        known.insert(r.attachment_id);
      } else if (!r.source_url.empty() || r.size > options_.upload_max_bytes) {
        large.push_back(r);  // sent as a URL, in the cell's order
      } else {
        small.push_back(r);
      }
    }
  }

  // An operator's resolution, now applied.
  Result<std::optional<Failure>> Resolved(const std::optional<HeldCell>& held) {
    if (held && held->resolution) AIRPG_RETURN_IF_ERROR(MarkApplied(conn_, held->conflict_id));
    return std::optional<Failure>();
  }

  // Airtable's cell won: the files Postgres added and not sent go, and so
  // do the ones Airtable removed (the inbound apply kept them for this
  // decision); the removals are forgotten, and Airtable's ids are the base.
  // Files Postgres removed that Airtable still has come back with the
  // inbound apply of the record.
  Status DropPostgresChange(const Cell& cell, const std::vector<std::string>& airtable_ids) {
    const pg::Param ids =
        pg::ArrayLiteral(std::vector<pg::Param>(airtable_ids.begin(), airtable_ids.end()));
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn_));
    AIRPG_RETURN_IF_ERROR(tx.Run("SET LOCAL airpg.origin = 'airtable'"));
    AIRPG_RETURN_IF_ERROR(blobs::KeepOnlyAttachments(conn_, KeyOf(cell), airtable_ids));
    AIRPG_RETURN_IF_ERROR(
        tx.Run("UPDATE airpg.attachment_outbox SET removed_ids = '{}', base_ids = $4::text[] "
               "WHERE table_id = $1 AND record_id = $2 AND field_id = $3",
               {cell.table_id, cell.record_id, cell.field_id, ids}));
    return tx.Commit();
  }

  // Postgres's cell won over Airtable's edit: Postgres's rows become what
  // it held before Airtable's edit, changed by its own changes — rows of
  // ids it did not hold (Airtable's additions the inbound apply brought,
  // or files it removed and the inbound apply put back) go, and files
  // Airtable removed are sent again (no att… id: pending).
  Status PutBackPostgres(const Cell& cell, const std::vector<std::string>& airtable_ids,
                         const std::vector<std::string>& base) {
    std::set<std::string> own(base.begin(), base.end());
    for (const auto& id : cell.removed_ids) own.erase(id);
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn_));
    AIRPG_RETURN_IF_ERROR(tx.Run("SET LOCAL airpg.origin = 'airtable'"));
    AIRPG_RETURN_IF_ERROR(blobs::PutBackAttachments(
        conn_, KeyOf(cell), std::vector<std::string>(own.begin(), own.end()), airtable_ids));
    return tx.Commit();
  }

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

  // An attachment in Airtable that airpg does not know, of the same filename,
  // size and bytes as a pending row, is that row's earlier send whose answer
  // was lost: recorded, not sent again. Only a candidate of the same name and
  // size is downloaded (a retry after a lost answer: rare), so another
  // client's file of the same name and size is never taken for airpg's.
  Status Adopt(const Cell& cell, const json& airtable_cell, std::set<std::string>& known,
               std::vector<Row>& pending, std::vector<std::string>& base) {
    std::vector<Row> still;
    for (const Row& r : pending) {
      std::string found;
      for (const json& item : airtable_cell) {
        std::string id = item.value("id", "");
        if (id.empty() || known.count(id)) continue;
        if (item.value("filename", "") != r.filename) continue;
        // A file sent by URL has no size or bytes of airpg's to compare.
        if (!r.source_url.empty()) {
          found = id;
          break;
        }
        if (item.value("size", int64_t{-1}) != r.size) continue;
        if (SameBytes(item.value("url", ""), r)) {
          found = id;
          break;
        }
      }
      if (found.empty()) {
        still.push_back(r);
        continue;
      }
      known.insert(found);
      base.push_back(found);  // Record adds it to the stored base too
      ++report_.adopted;
      AIRPG_RETURN_IF_ERROR(Record(cell, r, found, {}));
    }
    pending = std::move(still);
    return Status::Ok();
  }

  // Whether the file behind `url` has `r`'s bytes (their SHA-256). A
  // download that fails says nothing: the name and size stand, as before.
  bool SameBytes(const std::string& url, const Row& r) {
    if (url.empty()) return true;
    Result<blobs::DownloadedBytes> got = blobs::DownloadAttachment(
        url, "airpg", [](std::string_view) { return Status::Ok(); }, r.size + 1);
    if (!got.ok()) {
      if (got.status().code() == StatusCode::kResourceExhausted) return false;
      log::Warn("outbox: comparing \"{}\" with Airtable's copy: {}; taken by name and size",
                r.filename, got.status().ToString());
      return true;
    }
    return got->sha256 == r.sha256;
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

  // One update of the field in Postgres's order (`rows`): the kept
  // attachments and a URL for each file sent by URL (a large file's signed
  // URL, a file added by URL through serve), then kept ones Postgres does
  // not hold. `large` is in the rows' order, so Airtable's new ids answer
  // in its order.
  std::optional<Failure> Replace(const Cell& cell, const std::vector<std::string>& kept_ids,
                                 const std::vector<Row>& rows, const std::vector<Row>& large) {
    std::set<std::string> removed(cell.removed_ids.begin(), cell.removed_ids.end());
    json value = json::array();
    std::set<std::string> kept(kept_ids.begin(), kept_ids.end());
    std::set<std::string> sent;
    std::set<int> by_url;  // positions still to send (an adopted one is not)
    for (const Row& r : large) by_url.insert(r.position);
    for (const Row& r : rows) {
      if (!r.attachment_id.empty()) {
        if (!kept.count(r.attachment_id)) continue;
        value.push_back({{"id", r.attachment_id}});
        sent.insert(r.attachment_id);
      } else if (!by_url.count(r.position)) {
        continue;
      } else if (!r.source_url.empty()) {
        value.push_back({{"url", r.source_url}, {"filename", r.filename}});
      } else {
        value.push_back({{"url", options_.blob_url(r.sha256)}, {"filename", r.filename}});
      }
    }
    for (const auto& id : kept_ids) {
      if (!sent.count(id)) value.push_back({{"id", id}});
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
    // Both sides hold the kept ones now: the base of the next decision.
    Status based = conn_.Run(
        "UPDATE airpg.attachment_outbox SET base_ids = $4::text[] WHERE table_id = $1 AND "
        "record_id = $2 AND field_id = $3",
        {cell.table_id, cell.record_id, cell.field_id,
         pg::ArrayLiteral(std::vector<pg::Param>(kept_ids.begin(), kept_ids.end()))});
    if (!based.ok()) return Failure{based, false};
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
    if (attachment_id.empty()) {
      log::Warn("outbox: Airtable's answer for \"{}\" of record {} names no new attachment",
                r.filename, cell.record_id);
    } else {
      AIRPG_RETURN_IF_ERROR(
          blobs::RecordSentAttachment(conn_, KeyOf(cell), r.position, attachment_id));
    }
    if (!attachment_id.empty()) {
      // Both sides hold it now: part of the base of the next decision.
      AIRPG_RETURN_IF_ERROR(
          tx.Run("UPDATE airpg.attachment_outbox SET base_ids = array_append(base_ids, $4) WHERE "
                 "table_id = $1 AND record_id = $2 AND field_id = $3 AND $4 <> ALL(base_ids)",
                 {cell.table_id, cell.record_id, cell.field_id, attachment_id}));
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
        "x WHERE x <> ALL($4::text[])), base_ids = ARRAY(SELECT x FROM unnest(base_ids) x WHERE "
        "x <> ALL($4::text[])) WHERE table_id = $1 AND record_id = $2 AND field_id = $3",
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

// A failure: dead, or tried again after a wait doubling per attempt.
Status Fail(pg::Connection& conn, const Cell& c, const Failure& failure,
            const AttachmentDispatchOptions& options) {
  auto delay = std::min<std::chrono::milliseconds>(
      options.retry_initial * (1LL << std::min(std::max(c.attempts, 1) - 1, 10)),
      std::chrono::minutes(1));
  return FailAttachmentCell(conn, c, failure.status.ToString(), failure.dead, delay);
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
  AIRPG_ASSIGN_OR_RETURN(
      std::vector<Cell> cells,
      ClaimAttachmentCells(conn, base_id, options.owner, options.max_cells, options.lease));
  report.claimed = static_cast<int64_t>(cells.size());
  if (cells.empty()) return report;
  AIRPG_ASSIGN_OR_RETURN(auto authority, LoadAuthority(conn, base_id));
  CellSender sender(client, conn, store, base_id, options, report);
  for (size_t i = 0; i < cells.size(); ++i) {
    Cell cell = cells[i];  // a copy: a row's cell moves to its rec id
    if (IsRowRecordId(cell.record_id)) {
      AIRPG_ASSIGN_OR_RETURN(RowRecordState state, MoveToRecordId(conn, cell.schema, cell.table_id,
                                                                  cell.field_id, &cell.record_id));
      if (state == RowRecordState::kWaiting) {
        ++report.waiting;
        AIRPG_RETURN_IF_ERROR(DeferAttachmentCell(conn, cell, options.wait));
        continue;
      }
      if (state != RowRecordState::kMoved) continue;  // gone, or in the record's queued cell
    }
    auto auth = authority.find(cell.table_id);
    if (auth == authority.end() || auth->second.Of(cell.field_id) == Authority::kAirtable) {
      // The authority changed since the capture: Airtable's side stands.
      AIRPG_RETURN_IF_ERROR(CompleteAttachmentCell(conn, cell));
      continue;
    }
    const FieldPolicy policy{auth->second.Of(cell.field_id), auth->second.conflict};
    Sent sent = Sent::kDone;
    AIRPG_ASSIGN_OR_RETURN(std::optional<Failure> failure, sender.Send(cell, policy, &sent));
    if (!failure && sent == Sent::kWaiting) {
      ++report.waiting;
      AIRPG_RETURN_IF_ERROR(DeferAttachmentCell(conn, cell, options.wait));
      continue;
    }
    if (!failure) {
      AIRPG_RETURN_IF_ERROR(CompleteAttachmentCell(conn, cell));
      continue;
    }
    const StatusCode code = failure->status.code();
    if (code == StatusCode::kNotFound && !failure->dead) {
      // The record is gone in Airtable: the delete sweep tombstones the row.
      AIRPG_RETURN_IF_ERROR(CompleteAttachmentCell(conn, cell));
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

}  // namespace airpg::sync
