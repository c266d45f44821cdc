#include "sync/record_applier.h"

#include <fmt/core.h>

#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "base/sql_identifier.h"
#include "blobs/attachment_rows.h"
#include "pg/catalog_users.h"
#include "pg/quote.h"
#include "sync/dead_letters.h"
#include "sync/deleted_records.h"
#include "sync/inbound_conflicts.h"
#include "sync/link_writer.h"
#include "sync/row_upsert.h"
#include "sync/stale_reads.h"

namespace airpg::sync {

Status LeaveLinks(pg::Transaction& tx, const LiveBase& base, const mapping::TablePlan& table,
                  const std::string& rows, const std::vector<pg::Param>& params,
                  TouchedRecords& touched) {
  for (const auto& t : base.plan.tables) {
    for (const auto& f : t.fields) {
      bool from_here = t.table_id == table.table_id;
      bool to_here = f.linked_table_id == table.table_id;
      if (f.link_role == mapping::LinkRole::kJunction && (from_here || to_here)) {
        std::string j = QualifiedName(base.schema, f.relation_table);
        std::string from_table = QualifiedName(base.schema, t.table_name);
        std::string to_table =
            QualifiedName(base.schema, base.plan.FindTable(f.linked_table_id)->table_name);
        // The records on the other side lose a link: their cells changed.
        if (from_here) {
          AIRPG_ASSIGN_OR_RETURN(
              pg::Rows other,
              tx.Exec(fmt::format("WITH d AS (DELETE FROM {} WHERE from_id IN {} RETURNING "
                                  "to_id) SELECT b.airtable_id FROM {} b JOIN d ON b.id = d.to_id",
                                  j, rows, to_table),
                      params));
          for (int i = 0; i < other.size(); ++i)
            touched[f.linked_table_id].insert(std::string(other.Get(i, 0)));
        }
        if (to_here) {
          AIRPG_ASSIGN_OR_RETURN(
              pg::Rows other,
              tx.Exec(fmt::format("WITH d AS (DELETE FROM {} WHERE to_id IN {} RETURNING "
                                  "from_id) SELECT a.airtable_id FROM {} a JOIN d ON a.id = "
                                  "d.from_id",
                                  j, rows, from_table),
                      params));
          for (int i = 0; i < other.size(); ++i)
            touched[t.table_id].insert(std::string(other.Get(i, 0)));
        }
      } else if (f.link_role == mapping::LinkRole::kForeignKey && (from_here || to_here)) {
        std::string owner = QualifiedName(base.schema, t.table_name);
        std::string fk = QuoteIdentifier(f.column_name);
        if (to_here) {
          // Records pointing at a deleted one lose their link.
          AIRPG_ASSIGN_OR_RETURN(
              pg::Rows other,
              tx.Exec(fmt::format("UPDATE {} SET {} = NULL WHERE {} IN {} RETURNING airtable_id",
                                  owner, fk, fk, rows),
                      params));
          for (int i = 0; i < other.size(); ++i)
            touched[t.table_id].insert(std::string(other.Get(i, 0)));
        }
        if (from_here) {
          // A deleted record leaves the inverse cell of the one it pointed at.
          std::string to_table =
              QualifiedName(base.schema, base.plan.FindTable(f.linked_table_id)->table_name);
          AIRPG_ASSIGN_OR_RETURN(
              pg::Rows other,
              tx.Exec(fmt::format("SELECT b.airtable_id FROM {} a JOIN {} b ON b.id = a.{} "
                                  "WHERE a.id IN {}",
                                  owner, to_table, fk, rows),
                      params));
          for (int i = 0; i < other.size(); ++i)
            touched[f.linked_table_id].insert(std::string(other.Get(i, 0)));
        }
      }
    }
  }
  return Status::Ok();
}

namespace {

using mapping::RecordRow;
using TextArray = std::vector<std::optional<std::string>>;

constexpr const char* kFieldNotYetInMirror = "field not yet in the mirror";

struct PreparedTable {
  const mapping::TablePlan* plan = nullptr;
  const TableChanges* changes = nullptr;
  std::vector<RecordRow> rows;
  std::vector<CellFailure> failures;
};

std::string CellPayload(const RecordRow& row, const std::vector<airtable::Record>& records,
                        const std::string& field_id) {
  for (const auto& r : records) {
    if (r.id != row.record_id) continue;
    auto cell = r.Cell(field_id);
    return cell ? std::string(*cell) : "null";
  }
  return "null";
}

// Keeps the last version of each record (a batch may list a record twice).
std::vector<const airtable::Record*> LastOfEach(const std::vector<airtable::Record>& records) {
  std::unordered_map<std::string_view, size_t> last;
  for (size_t i = 0; i < records.size(); ++i) last[records[i].id] = i;
  std::vector<const airtable::Record*> out;
  for (size_t i = 0; i < records.size(); ++i) {
    if (last[records[i].id] == i) out.push_back(&records[i]);
  }
  return out;
}

// Marks the destroyed records deleted and takes them out of every other
// record's links, as Airtable does; the tombstoned row keeps its own values.
void Merge(const TouchedRecords& from, TouchedRecords& into) {
  for (const auto& [table, ids] : from) into[table].insert(ids.begin(), ids.end());
}

Result<int64_t> Tombstone(pg::Transaction& tx, const LiveBase& base,
                          const mapping::TablePlan& table,
                          const std::vector<std::string>& destroyed, TouchedRecords& touched) {
  if (destroyed.empty()) return int64_t{0};
  TextArray ids(destroyed.begin(), destroyed.end());
  std::vector<pg::Param> params = {pg::ArrayLiteral(ids)};
  std::string here = QualifiedName(base.schema, table.table_name);
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows gone,
      tx.Exec(fmt::format("UPDATE {} SET deleted_at = now(), airpg_synced_at = now(), "
                          "airpg_version = airpg_version + 1 WHERE airtable_id = ANY($1::text[]) "
                          "AND deleted_at IS NULL",
                          here),
              params));
  const std::string rows =
      fmt::format("(SELECT id FROM {} WHERE airtable_id = ANY($1::text[]))", here);
  AIRPG_RETURN_IF_ERROR(LeaveLinks(tx, base, table, rows, params, touched));
  return gone.AffectedRows();
}

// The ids among `ids` that airpg.attachments already knows, with the row
// they are stored as (an attachment id never changes its bytes).
Result<std::map<std::string, Attachment, std::less<>>> KnownAttachments(pg::Connection& conn,
                                                                        const TextArray& ids) {
  std::map<std::string, Attachment, std::less<>> known;
  if (ids.empty()) return known;
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                         conn.Exec("SELECT DISTINCT ON (attachment_id) attachment_id, size, sha256 "
                                   "FROM airpg.attachments WHERE attachment_id = ANY($1::text[])",
                                   {pg::ArrayLiteral(ids)}));
  for (int i = 0; i < rows.size(); ++i) {
    Attachment a;
    a.id = std::string(rows.Get(i, 0));
    a.size = rows.IsNull(i, 1) ? 0 : std::stoll(std::string(rows.Get(i, 1)));
    a.sha256 = std::string(rows.Get(i, 2));
    known.emplace(a.id, std::move(a));
  }
  return known;
}

// Rewrites airpg.attachments for the batch's attachment cells, from the
// rows stored before and what FetchAttachments stored ahead of this
// transaction: no download happens here. A cell with an attachment that
// could not be stored keeps its old rows and becomes a dead letter.
Result<int64_t> WriteAttachments(pg::Transaction& tx, const LiveBase& base,
                                 const FetchedAttachments& fetched, PreparedTable& t) {
  struct Wanted {
    const RecordRow* row;
    const mapping::CellAttachment* cell;
  };
  std::vector<Wanted> wanted;
  std::set<std::pair<std::string, std::string>> cells;  // (record, field) to rewrite
  for (const auto& row : t.rows) {
    for (const auto& f : t.plan->fields) {
      if (f.column.storage != mapping::Storage::kAttachments) continue;
      if (row.rejected_fields.count(f.field.id)) continue;
      cells.insert({row.record_id, f.field.id});
    }
    for (const auto& a : row.attachments) {
      if (!row.rejected_fields.count(a.field_id)) wanted.push_back({&row, &a});
    }
  }
  if (cells.empty()) return int64_t{0};

  TextArray ids;
  for (const auto& w : wanted) ids.push_back(w.cell->attachment.id);
  AIRPG_ASSIGN_OR_RETURN(auto known, KnownAttachments(tx.connection(), ids));
  // A cell's dead letter names every attachment of it that failed, not only
  // the first (issue 14): the reasons are joined in the cell's order.
  std::map<std::pair<std::string, std::string>, size_t> failure_of_cell;
  std::vector<blobs::AttachmentCell> rows;
  // wanted → its blob's sha256 and stored size
  std::vector<std::tuple<const Wanted*, std::string, int64_t>> stored_as;
  for (const Wanted& w : wanted) {
    const Attachment& a = w.cell->attachment;
    Status failed;
    bool retry = false;  // a later cycle reads the record and fetches again
    std::string sha256;
    int64_t size = a.size;
    if (auto k = known.find(a.id); k != known.end()) {
      sha256 = k->second.sha256;
      size = k->second.size;
    } else if (auto f = fetched.find(a.id); f == fetched.end()) {
      // Its rows went between the fetch and this transaction: the letter
      // retries, reading the record (and a fresh URL) again.
      failed = UnavailableError("not fetched before the transaction");
      retry = true;
    } else if (!f->second.ok()) {
      failed = f->second.status();
    } else {
      sha256 = f->second->sha256;
      size = f->second->size;
    }
    if (failed.ok()) {
      stored_as.push_back({&w, std::move(sha256), size});
      continue;
    }
    std::pair<std::string, std::string> cell{w.row->record_id, w.cell->field_id};
    std::string reason =
        fmt::format("attachment {} ({}) not stored: {}", a.id, a.filename, failed.message());
    if (auto it = failure_of_cell.find(cell); it != failure_of_cell.end()) {
      t.failures[it->second].reason += "; " + reason;
      continue;
    }
    cells.erase(cell);
    failure_of_cell[cell] = t.failures.size();
    t.failures.push_back({w.row->record_id, w.cell->field_id,
                          CellPayload(*w.row, t.changes->upserts, w.cell->field_id),
                          std::move(reason), retry});
  }
  for (auto& [w, sha256, size] : stored_as) {
    if (!cells.count({w->row->record_id, w->cell->field_id})) continue;
    Attachment a = w->cell->attachment;
    a.url.clear();
    a.sha256 = std::move(sha256);
    a.size = size;
    rows.push_back({w->row->record_id, w->cell->field_id, w->cell->position, std::move(a)});
  }
  AIRPG_RETURN_IF_ERROR(blobs::ReplaceAttachmentCells(
      tx.connection(), base.schema, t.plan->table_id,
      std::vector<std::pair<std::string, std::string>>(cells.begin(), cells.end()), rows));
  return static_cast<int64_t>(rows.size());
}

}  // namespace

RecordApplier::RecordApplier(const LiveBase& base, blobs::AttachmentSource attachments,
                             ApplyOptions options)
    : base_(base), attachments_(std::move(attachments)), options_(options) {}

Status RecordApplier::FetchAttachments(pg::Connection& conn, const ChangeBatch& batch,
                                       FetchedAttachments& fetched) {
  std::vector<Attachment> wanted;
  TextArray ids;
  std::set<std::string, std::less<>> listed;
  for (const TableChanges& changes : batch.tables) {
    const mapping::TablePlan* plan = base_.plan.FindTable(changes.table_id);
    if (plan == nullptr) continue;
    for (const airtable::Record* record : LastOfEach(changes.upserts)) {
      RecordRow row = mapping::ConvertRecord(*plan, *record);
      for (const auto& a : row.attachments) {
        if (row.rejected_fields.count(a.field_id) || fetched.count(a.attachment.id)) continue;
        if (!listed.insert(a.attachment.id).second) continue;
        wanted.push_back(a.attachment);
        ids.push_back(a.attachment.id);
      }
    }
  }
  if (wanted.empty()) return Status::Ok();
  AIRPG_ASSIGN_OR_RETURN(auto known, KnownAttachments(conn, ids));
  std::erase_if(wanted, [&](const Attachment& a) { return known.count(a.id); });
  if (wanted.empty()) return Status::Ok();
  std::vector<Result<Attachment>> stored;
  if (attachments_) {
    stored = attachments_(wanted);
  } else {
    stored.assign(wanted.size(), FailedPreconditionError("this sync stores no attachments"));
  }
  for (size_t i = 0; i < wanted.size() && i < stored.size(); ++i) {
    fetched.insert_or_assign(wanted[i].id, std::move(stored[i]));
  }
  return Status::Ok();
}

Result<ApplyStats> RecordApplier::Apply(pg::Transaction& tx, const ChangeBatch& batch,
                                        const FetchedAttachments& fetched) {
  ApplyStats stats;
  AIRPG_RETURN_IF_ERROR(tx.Run("SET LOCAL airpg.origin = 'airtable'"));
  // Every FK of the live schema is deferrable: checked at commit, once the
  // whole batch is in.
  AIRPG_RETURN_IF_ERROR(tx.Run("SET CONSTRAINTS ALL DEFERRED"));
  // The rows of destroyed records before any other: the dispatcher locks a
  // row the same way before it decides an update Airtable refused as
  // deleted, so each record's delete-vs-update conflict is decided once
  // (deleted_records.h), with no lock taken in the other order.
  if (options_.decide_pending_deletes) AIRPG_RETURN_IF_ERROR(LockDestroyedRows(tx, base_, batch));

  // Tables Postgres writes too: the conflict rules decide Airtable's edits first.
  AIRPG_ASSIGN_OR_RETURN(InboundConflicts conflicts,
                         InboundConflicts::Load(tx, base_, batch.read_from, batch.sent_at));
  std::vector<PreparedTable> tables;
  std::vector<pg::UserRow> users;
  for (const TableChanges& changes : batch.tables) {
    const mapping::TablePlan* plan = base_.plan.FindTable(changes.table_id);
    if (plan == nullptr) continue;
    PreparedTable t{plan, &changes, {}, {}};
    std::set<std::string_view> known;
    for (const auto& f : plan->fields) known.insert(f.field.id);
    // A record deleted after this read began is not brought back by it.
    std::vector<const airtable::Record*> listed = LastOfEach(changes.upserts);
    std::vector<std::string> listed_ids;
    for (const airtable::Record* r : listed) listed_ids.push_back(r->id);
    AIRPG_ASSIGN_OR_RETURN(auto stale,
                           DeletedSinceRead(tx, base_.schema, *plan, listed_ids, batch.read_from));
    std::erase_if(listed, [&](const airtable::Record* r) { return stale.count(r->id) > 0; });
    stats.stale += static_cast<int64_t>(stale.size());
    AIRPG_ASSIGN_OR_RETURN(std::vector<const airtable::Record*> decided,
                           conflicts.Decide(tx, *plan, changes, listed));
    for (const airtable::Record* record : decided) {
      RecordRow row = mapping::ConvertRecord(*plan, *record);
      // No lastModifiedTime field to say it: the payload that changed it does.
      if (auto at = changes.changed_at.find(record->id);
          row.modified_time.empty() && at != changes.changed_at.end()) {
        row.modified_time = at->second;
      }
      // A cell of a field created in Airtable that the schema sync has not
      // applied yet has no column: it waits as a letter the sync retries
      // (reading the record again), which carries it once the field is in.
      for (size_t i = 0; i < record->field_count(); ++i) {
        if (known.count(record->FieldKey(i))) continue;
        t.failures.push_back({record->id, std::string(record->FieldKey(i)),
                              std::string(record->FieldJson(i)), kFieldNotYetInMirror,
                              /*retry=*/true});
        ++stats.unknown_field_cells;
      }
      for (const auto& u : row.users) users.push_back({u.id, u.email, u.name});
      for (const auto& r : row.rejects) {
        t.failures.push_back({row.record_id, r.field_id, r.raw_value.value_or("null"), r.reason});
      }
      t.rows.push_back(std::move(row));
    }
    stats.records += static_cast<int64_t>(t.rows.size());
    tables.push_back(std::move(t));
  }

  AIRPG_RETURN_IF_ERROR(pg::UpsertUsers(tx.connection(), users));
  for (PreparedTable& t : tables) {
    AIRPG_ASSIGN_OR_RETURN(int64_t changed, UpsertRows(tx, base_.schema, *t.plan, t.rows));
    stats.changed += changed;
  }
  for (PreparedTable& t : tables) {
    AIRPG_ASSIGN_OR_RETURN(LinkOutcome links, WriteLinks(tx, base_.schema, base_.plan, *t.plan,
                                                         t.rows, conflicts.airtable_won()));
    Merge(links.touched, stats.touched);
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> by_cell;
    for (auto& d : links.dangling) by_cell[{d.record_id, d.field_id}].push_back(d.target);
    for (const auto& [cell, targets] : by_cell) {
      std::string list;
      for (const auto& id : targets) list += (list.empty() ? "" : ", ") + id;
      const RecordRow* row = nullptr;
      for (const auto& r : t.rows) {
        if (r.record_id == cell.first) row = &r;
      }
      t.failures.push_back({cell.first, cell.second,
                            CellPayload(*row, t.changes->upserts, cell.second),
                            fmt::format("link to {}, which is not in Postgres (yet)", list),
                            /*retry=*/true});
    }
  }
  for (PreparedTable& t : tables) {
    AIRPG_ASSIGN_OR_RETURN(int64_t stored, WriteAttachments(tx, base_, fetched, t));
    stats.attachments_stored += stored;
  }
  for (PreparedTable& t : tables) {
    std::vector<std::string> destroyed = t.changes->destroyed;
    if (options_.decide_pending_deletes && !destroyed.empty()) {
      AIRPG_ASSIGN_OR_RETURN(destroyed, DecidePendingUpdates(tx, base_, *t.plan, *t.changes));
    }
    AIRPG_ASSIGN_OR_RETURN(int64_t gone, Tombstone(tx, base_, *t.plan, destroyed, stats.touched));
    stats.tombstoned += gone;
    std::vector<std::string> applied;
    for (const auto& r : t.rows) applied.push_back(r.record_id);
    for (const auto& id : t.changes->destroyed) applied.push_back(id);
    AIRPG_ASSIGN_OR_RETURN(
        int64_t open, RecordApplyOutcome(tx, base_.base_id, t.plan->table_id, batch.source, applied,
                                         t.failures, options_.link_attempts));
    stats.failed_cells += open;
  }
  AIRPG_RETURN_IF_ERROR(conflicts.Finish(tx));
  // What this batch brought or removed needs no second read.
  for (const PreparedTable& t : tables) {
    auto it = stats.touched.find(t.plan->table_id);
    if (it == stats.touched.end()) continue;
    for (const auto& r : t.rows) it->second.erase(r.record_id);
    for (const auto& id : t.changes->destroyed) it->second.erase(id);
    if (it->second.empty()) stats.touched.erase(it);
  }
  return stats;
}

}  // namespace airpg::sync
