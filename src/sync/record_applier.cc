#include "sync/record_applier.h"

#include <fmt/core.h>

#include <map>
#include <set>
#include <unordered_map>

#include "base/sql_identifier.h"
#include "pg/catalog_users.h"
#include "pg/quote.h"
#include "sync/dead_letters.h"
#include "sync/link_writer.h"
#include "sync/row_upsert.h"

namespace airpg::sync {
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
  std::string rows = fmt::format("(SELECT id FROM {} WHERE airtable_id = ANY($1::text[]))", here);
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
                                  "WHERE a.airtable_id = ANY($1::text[])",
                                  owner, to_table, fk),
                      params));
          for (int i = 0; i < other.size(); ++i)
            touched[f.linked_table_id].insert(std::string(other.Get(i, 0)));
        }
      }
    }
  }
  return gone.AffectedRows();
}

// Rewrites airpg.attachments for the batch's attachment cells. Attachments
// stored before (an attachment id never changes its bytes) are not fetched
// again; the others go through `source`. A cell with an attachment that
// could not be stored keeps its old rows and becomes a dead letter.
Result<int64_t> WriteAttachments(pg::Transaction& tx, const LiveBase& base,
                                 const AttachmentSource& source, PreparedTable& t) {
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
  AIRPG_ASSIGN_OR_RETURN(pg::Rows known,
                         tx.Exec("SELECT DISTINCT ON (attachment_id) attachment_id, size, sha256 "
                                 "FROM airpg.attachments WHERE attachment_id = ANY($1::text[])",
                                 {pg::ArrayLiteral(ids)}));
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> stored;  // id → size, sha
  for (int i = 0; i < known.size(); ++i) {
    stored[std::string(known.Get(i, 0))] = {std::string(known.Get(i, 1)),
                                            std::string(known.Get(i, 2))};
  }
  std::vector<AttachmentRequest> requests;
  std::vector<size_t> request_of;
  for (size_t i = 0; i < wanted.size(); ++i) {
    const auto& a = wanted[i].cell->attachment;
    if (stored.count(a.id)) continue;
    requests.push_back({a.id, a.url, a.filename, a.size.value_or(0), a.type,
                        a.width ? std::optional<int64_t>(*a.width) : std::nullopt,
                        a.height ? std::optional<int64_t>(*a.height) : std::nullopt});
    request_of.push_back(i);
  }
  std::vector<Result<StoredAttachmentRow>> fetched;
  if (!requests.empty()) {
    if (source) {
      fetched = source(requests);
    } else {
      for (size_t i = 0; i < requests.size(); ++i) {
        fetched.push_back(FailedPreconditionError("this sync stores no attachments"));
      }
    }
  }
  // A cell's dead letter names every attachment of it that failed, not only
  // the first (issue 14): the reasons are joined in the cell's order.
  std::map<std::pair<std::string, std::string>, size_t> failure_of_cell;
  for (size_t k = 0; k < fetched.size(); ++k) {
    const Wanted& w = wanted[request_of[k]];
    if (fetched[k].ok()) {
      stored[fetched[k]->attachment_id] = {std::to_string(fetched[k]->size), fetched[k]->sha256};
      continue;
    }
    std::pair<std::string, std::string> cell{w.row->record_id, w.cell->field_id};
    std::string reason = fmt::format("attachment {} ({}) not stored: {}", w.cell->attachment.id,
                                     w.cell->attachment.filename, fetched[k].status().message());
    if (auto it = failure_of_cell.find(cell); it != failure_of_cell.end()) {
      t.failures[it->second].reason += "; " + reason;
      continue;
    }
    cells.erase(cell);
    failure_of_cell[cell] = t.failures.size();
    t.failures.push_back({w.row->record_id, w.cell->field_id,
                          CellPayload(*w.row, t.changes->upserts, w.cell->field_id),
                          std::move(reason)});
  }
  TextArray clear_records, clear_fields;
  for (const auto& [record, field] : cells) {
    clear_records.push_back(record);
    clear_fields.push_back(field);
  }
  AIRPG_RETURN_IF_ERROR(tx.Run(
      "DELETE FROM airpg.attachments a USING unnest($3::text[], $4::text[]) AS c(r, f) "
      "WHERE a.schema_name = $1 AND a.table_id = $2 AND a.record_id = c.r AND a.field_id = c.f",
      {base.schema, t.plan->table_id, pg::ArrayLiteral(clear_records),
       pg::ArrayLiteral(clear_fields)}));
  TextArray records, fields, positions, att_ids, filenames, types, sizes, shas, widths, heights;
  for (const auto& w : wanted) {
    if (!cells.count({w.row->record_id, w.cell->field_id})) continue;
    const auto& a = w.cell->attachment;
    const auto& [size, sha] = stored[a.id];
    records.push_back(w.row->record_id);
    fields.push_back(w.cell->field_id);
    positions.push_back(std::to_string(w.cell->position));
    att_ids.push_back(a.id);
    filenames.push_back(a.filename);
    types.push_back(a.type.empty() ? std::nullopt : std::optional(a.type));
    sizes.push_back(size);
    shas.push_back(sha);
    widths.push_back(a.width ? std::optional(std::to_string(*a.width)) : std::nullopt);
    heights.push_back(a.height ? std::optional(std::to_string(*a.height)) : std::nullopt);
  }
  if (records.empty()) return int64_t{0};
  AIRPG_RETURN_IF_ERROR(tx.Run(
      "INSERT INTO airpg.attachments (schema_name, table_id, record_id, field_id, position, "
      "attachment_id, filename, content_type, size, sha256, width, height) "
      "SELECT $1, $2, r, f, p::int, i, n, ty, s::bigint, h, w::int, he::int FROM "
      "unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], "
      "$9::text[], $10::text[], $11::text[], $12::text[]) AS x(r, f, p, i, n, ty, s, h, w, he)",
      {base.schema, t.plan->table_id, pg::ArrayLiteral(records), pg::ArrayLiteral(fields),
       pg::ArrayLiteral(positions), pg::ArrayLiteral(att_ids), pg::ArrayLiteral(filenames),
       pg::ArrayLiteral(types), pg::ArrayLiteral(sizes), pg::ArrayLiteral(shas),
       pg::ArrayLiteral(widths), pg::ArrayLiteral(heights)}));
  return static_cast<int64_t>(records.size());
}

}  // namespace

RecordApplier::RecordApplier(const LiveBase& base, AttachmentSource attachments,
                             ApplyOptions options)
    : base_(base), attachments_(std::move(attachments)), options_(options) {}

Result<ApplyStats> RecordApplier::Apply(pg::Transaction& tx, const ChangeBatch& batch) {
  ApplyStats stats;
  AIRPG_RETURN_IF_ERROR(tx.Run("SET LOCAL airpg.origin = 'airtable'"));
  // Every FK of the live schema is deferrable: checked at commit, once the
  // whole batch is in.
  AIRPG_RETURN_IF_ERROR(tx.Run("SET CONSTRAINTS ALL DEFERRED"));

  std::vector<PreparedTable> tables;
  std::vector<pg::UserRow> users;
  for (const TableChanges& changes : batch.tables) {
    const mapping::TablePlan* plan = base_.plan.FindTable(changes.table_id);
    if (plan == nullptr) continue;
    PreparedTable t{plan, &changes, {}, {}};
    std::set<std::string_view> known;
    for (const auto& f : plan->fields) known.insert(f.field.id);
    for (const airtable::Record* record : LastOfEach(changes.upserts)) {
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
    AIRPG_ASSIGN_OR_RETURN(LinkOutcome links,
                           WriteLinks(tx, base_.schema, base_.plan, *t.plan, t.rows));
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
    AIRPG_ASSIGN_OR_RETURN(int64_t stored, WriteAttachments(tx, base_, attachments_, t));
    stats.attachments_stored += stored;
  }
  for (PreparedTable& t : tables) {
    AIRPG_ASSIGN_OR_RETURN(int64_t gone,
                           Tombstone(tx, base_, *t.plan, t.changes->destroyed, stats.touched));
    stats.tombstoned += gone;
    std::vector<std::string> applied;
    for (const auto& r : t.rows) applied.push_back(r.record_id);
    for (const auto& id : t.changes->destroyed) applied.push_back(id);
    AIRPG_ASSIGN_OR_RETURN(
        int64_t open, RecordApplyOutcome(tx, base_.base_id, t.plan->table_id, batch.source, applied,
                                         t.failures, options_.link_attempts));
    stats.failed_cells += open;
  }
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
