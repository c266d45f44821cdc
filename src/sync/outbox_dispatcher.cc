#include "sync/outbox_dispatcher.h"

#include <fmt/core.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "base/log.h"
#include "base/sql_identifier.h"
#include "pg/transaction.h"
#include "pg/write_marks.h"
#include "sync/audit_trail.h"
#include "sync/conflicts.h"
#include "sync/deleted_records.h"
#include "sync/evaluated_fields.h"
#include "sync/live_schema.h"
#include "sync/outbox_cells.h"
#include "sync/outbox_echo.h"
#include "sync/outbox_reread.h"
#include "sync/outbox_resolutions.h"
#include "sync/outbox_typecast.h"
#include "sync/soft_deletes.h"
#include "sync/sync_events.h"

namespace airpg::sync {
namespace {

using nlohmann::json;
constexpr size_t kBatch = 10;

enum class Op { kCreate, kUpdate, kDelete, kNone };

// One record's claimed changes, coalesced.
struct RecordWork {
  const mapping::TablePlan* table = nullptr;
  int64_t row_id = 0;
  std::vector<int64_t> ids;  // outbox rows
  int attempts = 0;
  std::set<std::string> columns;      // changed columns of the table's own row
  std::set<std::string> link_fields;  // junction fields changed
  json row;                           // the row now; null when it is gone
  std::string record_id;              // its Airtable id, "" when it has none
  std::string key;                    // its airpg key, for creates
  Op op = Op::kNone;
  airtable::RecordWrite write;
  std::vector<std::string> unresolved;  // link fields whose targets have no id yet
  OutboxChange first;                   // for follow-ups
  bool typecast = false;                // a select value Airtable does not list yet
  bool released = false;                // replayed by an operator: past the breaker
  bool deleting = false;                // a DELETE or soft delete (deleted_at) is among them
  std::vector<OutboxChange> changes;    // as captured, for the links they moved
};

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<int64_t> Ids(const std::vector<RecordWork*>& works) {
  std::vector<int64_t> out;
  for (const RecordWork* w : works) out.insert(out.end(), w->ids.begin(), w->ids.end());
  return out;
}

}  // namespace

class OutboxDispatcher::Round {
 public:
  explicit Round(OutboxDispatcher& d) : d_(d), conn_(d.conn_) {}

  Result<DispatchReport> Run() {
    // Formulas SQL cannot compute, for every change captured since the last
    // round, before its debounce (evaluated_fields.h); a failure holds back no send.
    if (Status s = EvaluatePendingChanges(conn_, d_.base_id_, NowMillis()).status(); !s.ok()) {
      log::Warn("outbox: evaluating formulas: {}", s.ToString());
    }
    AIRPG_ASSIGN_OR_RETURN(pg::Rows stopped,
                           conn_.Exec("SELECT writes_stopped FROM airpg.sync_bases WHERE base_id "
                                      "= $1 AND writes_stopped IS NOT NULL",
                                      {d_.base_id_}));
    if (stopped.size() > 0) {
      return FailedPreconditionError(
          fmt::format("writes to base {} are stopped: {}", d_.base_id_, stopped.Get(0, 0)));
    }
    // Conflicts resolved by an operator reach their losing side first.
    AIRPG_ASSIGN_OR_RETURN(std::vector<Conflict> resolved,
                           UnappliedResolutions(conn_, d_.base_id_));
    bool loaded = false;
    if (!resolved.empty()) {
      AIRPG_ASSIGN_OR_RETURN(base_, LoadLiveBase(conn_, d_.base_id_));
      loaded = true;
      AIRPG_ASSIGN_OR_RETURN(report_.resolutions,
                             ApplyResolutions(d_.client_, conn_, base_, echo_, resolved));
      report_.requests += report_.resolutions;
    }
    AIRPG_ASSIGN_OR_RETURN(std::vector<OutboxChange> changes,
                           ClaimChanges(conn_, d_.base_id_, d_.options_.claim));
    report_.claimed = static_cast<int64_t>(changes.size());
    if (changes.empty()) return report_;
    if (!loaded) {
      AIRPG_ASSIGN_OR_RETURN(base_, LoadLiveBase(conn_, d_.base_id_));
    }
    AIRPG_ASSIGN_OR_RETURN(authority_, LoadAuthority(conn_, d_.base_id_));
    // Before the rows are read: what the inbound sync had applied by then
    // tells which reads before write cannot matter (outbox_reread.h).
    AIRPG_ASSIGN_OR_RETURN(inbound_, ReadInboundState(conn_, d_.base_id_));
    Group(changes);
    AIRPG_RETURN_IF_ERROR(LeaveLinksOfSoftDeletes());
    for (RecordWork& w : works_) AIRPG_RETURN_IF_ERROR(Prepare(w));
    if (Status read = ReadBeforeUpdates(); !read.ok()) return GiveBack(read);
    AIRPG_RETURN_IF_ERROR(HoldMassDeletes());
    // Per table: creates (their ids may be link targets of the updates), updates, deletes.
    for (const auto& table : base_.plan.tables) {
      for (Op op : {Op::kCreate, Op::kUpdate, Op::kDelete}) {
        std::vector<RecordWork*> batch;
        for (RecordWork& w : works_) {
          if (w.table == &table && w.op == op) batch.push_back(&w);
        }
        for (size_t start = 0; start < batch.size(); start += kBatch) {
          std::vector<RecordWork*> chunk(batch.begin() + start,
                                         batch.begin() + std::min(batch.size(), start + kBatch));
          Status sent = Send(table, op, chunk);
          if (!sent.ok()) return GiveBack(sent);
        }
      }
    }
    AIRPG_ASSIGN_OR_RETURN(int64_t follow_up_requests, echo_.FollowTouched());
    report_.requests += follow_up_requests;
    return report_;
  }

 private:
  void Group(const std::vector<OutboxChange>& changes) {
    for (const OutboxChange& c : changes) {
      if (works_.empty() || works_.back().row_id != c.row_id ||
          works_.back().first.table_id != c.table_id) {
        works_.emplace_back();
        works_.back().row_id = c.row_id;
        works_.back().first = c;
        works_.back().table = base_.plan.FindTable(c.table_id);
      }
      RecordWork& w = works_.back();
      w.ids.push_back(c.outbox_id);
      w.changes.push_back(c);
      w.attempts = std::max(w.attempts, c.attempts);
      w.released = w.released || c.released;
      if (!c.field_id.empty()) {
        w.link_fields.insert(c.field_id);
      } else {
        for (const auto& col : c.changed_columns) w.columns.insert(col);
        if (c.operation != "UPDATE") w.columns.insert("*");  // every field
        w.deleting = w.deleting || c.operation == "DELETE" ||
                     std::find(c.changed_columns.begin(), c.changed_columns.end(), "deleted_at") !=
                         c.changed_columns.end();
      }
      if (w.record_id.empty() && !c.airtable_id.empty()) w.record_id = c.airtable_id;
      if (w.record_id.empty() && !c.old_row.empty()) {
        json old = json::parse(c.old_row, nullptr, false);
        if (old.is_object() && old.value("airtable_id", json()).is_string()) {
          w.record_id = old["airtable_id"].get<std::string>();
        }
      }
    }
  }

  // Soft deletes leave their links (soft_deletes.h) before any link cell of
  // the round is read, so no update sent in it names a record it deletes;
  // the records on the links' other side are read again after the sends.
  Status LeaveLinksOfSoftDeletes() {
    for (const RecordWork& w : works_) {
      if (w.table == nullptr || !w.deleting) continue;
      auto auth = authority_.find(w.table->table_id);
      if (auth == authority_.end() || !auth->second.PostgresWrites()) continue;
      AIRPG_ASSIGN_OR_RETURN(TouchedRecords touched,
                             LeaveLinksOfSoftDelete(conn_, base_, *w.table, w.row_id));
      echo_.Note(touched);
    }
    return Status::Ok();
  }

  // Reads the record's row and decides what to send.
  Status Prepare(RecordWork& w) {
    if (w.table == nullptr) return Drop(w, "the table is no longer mirrored");
    auto auth = authority_.find(w.table->table_id);
    if (auth == authority_.end() || !auth->second.PostgresWrites()) {
      return Drop(w, "the table's authority is airtable");
    }
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows rows,
        conn_.Exec(fmt::format("SELECT to_jsonb(t)::text FROM {} t WHERE id = $1::bigint",
                               QualifiedName(base_.schema, w.table->table_name)),
                   {std::to_string(w.row_id)}));
    w.row = rows.size() > 0 ? json::parse(rows.Get(0, 0), nullptr, false) : json();
    if (w.row.is_object()) {
      // The row's id, not the one its changes were captured with: a row
      // whose record Airtable deleted and the rule created again has none
      // until the create's answer (deleted_records.h).
      const json id = w.row.value("airtable_id", json());
      w.record_id = id.is_string() ? id.get<std::string>() : "";
    }
    AIRPG_RETURN_IF_ERROR(echo_.NoteLinkedRecords(*w.table, w.row_id, w.row, w.changes));
    AIRPG_ASSIGN_OR_RETURN(std::optional<RowKey> key, FindKey(conn_, w.table->table_id, w.row_id));
    if (w.record_id.empty() && key && !key->record_id.empty()) w.record_id = key->record_id;
    bool gone = !w.row.is_object() || !w.row.value("deleted_at", json()).is_null();
    if (gone && !w.deleting) {
      // Deleted after these changes were claimed: the round that claims the
      // delete sends it, once the row has left its links (soft_deletes.h).
      // Sent now, it could reach Airtable before a create or update this
      // round read with a link to the record (a 422); these changes are moot.
      return Drop(w, "");
    }
    if (gone) {
      if (w.record_id.empty() && key) {
        // A create was sent and its answer lost: the upsert finds the record.
        AIRPG_ASSIGN_OR_RETURN(w.record_id, ResolveKeyed(*w.table, w, key->key));
      }
      if (w.record_id.empty()) return Drop(w, "");  // never reached Airtable
      w.op = Op::kDelete;
      return Status::Ok();
    }
    if (w.record_id.empty()) {
      AIRPG_ASSIGN_OR_RETURN(w.key, EnsureKey(conn_, w.table->table_id, w.row_id));
      w.op = Op::kCreate;
      w.columns.insert("*");
    } else {
      w.op = Op::kUpdate;
      w.write.id = w.record_id;
    }
    AIRPG_RETURN_IF_ERROR(BuildFields(w, auth->second));
    if (w.op == Op::kCreate) {
      AIRPG_ASSIGN_OR_RETURN(std::string key_field, d_.KeyField(*w.table));
      w.write.fields.emplace_back(key_field, json(w.key).dump());
    }
    if (w.op == Op::kUpdate) AIRPG_RETURN_IF_ERROR(ResolveConflicts(w, auth->second));
    if (w.op == Op::kUpdate && w.write.fields.empty()) {
      if (!w.unresolved.empty()) return FollowUpOnly(w);
      return Drop(w, "");  // nothing Airtable holds changed
    }
    return Status::Ok();
  }

  // The three-way rules, outbound side: a field parked in an open conflict
  // waits for its resolution, and a field whose value is already the last
  // one synced is not sent (Airtable holds it, or changed it since and the
  // inbound apply brings Airtable's value). A field both sides changed is
  // decided where Airtable's edit arrives (inbound_conflicts.h), while this
  // change is pending. A custom resolver replaces this.
  Status ResolveConflicts(RecordWork& w, const TableAuthority& auth) {
    if (d_.options_.resolve_conflicts) {
      return d_.options_.resolve_conflicts(auth, w.row_id, w.write);
    }
    if (w.write.fields.empty()) return Status::Ok();
    json cells = json::object();
    for (const auto& [field_id, cell] : w.write.fields) {
      cells[field_id] = json::parse(cell, nullptr, false);
    }
    AIRPG_ASSIGN_OR_RETURN(std::set<std::string> held,
                           FieldsHeldBack(conn_, w.table->table_id, w.record_id, cells.dump(),
                                          auth.authority == Authority::kBoth));
    std::erase_if(w.write.fields, [&](const auto& cell) { return held.count(cell.first) > 0; });
    return Status::Ok();
  }

  // Airtable's current cells of what the updates send, read once per page
  // of up to 100 records (outbox_reread.h): an Airtable edit the inbound sync has not
  // applied yet becomes the conflict the rule says, never overwritten
  // silently. A custom resolver replaces the rules, and this with them.
  Status ReadBeforeUpdates() {
    if (d_.options_.resolve_conflicts) return Status::Ok();
    for (const auto& table : base_.plan.tables) {
      std::vector<RecordWork*> works;
      std::vector<RereadUpdate> updates;
      for (RecordWork& w : works_) {
        if (w.table != &table || w.op != Op::kUpdate || w.write.fields.empty()) continue;
        works.push_back(&w);
        updates.push_back({w.row_id, w.record_id, &w.row, w.ids, &w.write});
      }
      if (updates.empty()) continue;
      AIRPG_ASSIGN_OR_RETURN(RereadReport read,
                             RereadBeforeUpdate(d_.client_, conn_, base_, table,
                                                authority_.at(table.table_id), updates, &inbound_));
      report_.reads += read.requests;
      report_.reads_skipped += read.skipped;
      if (!read.refused.ok()) return StopWrites(table, read.refused, "");
      for (size_t i = 0; i < works.size(); ++i) {
        RecordWork& w = *works[i];
        if (updates[i].deferred) {
          AIRPG_RETURN_IF_ERROR(RescheduleChanges(conn_, w.ids, d_.options_.retry_initial,
                                                  updates[i].deferred_reason));
          report_.rescheduled += static_cast<int64_t>(w.ids.size());
          w.ids.clear();
          w.op = Op::kNone;
        } else if (w.write.fields.empty()) {
          AIRPG_RETURN_IF_ERROR(w.unresolved.empty() ? Drop(w, "") : FollowUpOnly(w));
        }
      }
    }
    return Status::Ok();
  }

  Status BuildFields(RecordWork& w, const TableAuthority& auth) {
    const bool all = w.columns.count("*") > 0;
    for (const auto& f : w.table->fields) {
      if (!WritableField(f) || f.field.name == kKeyFieldName) continue;
      if (auth.Of(f.field.id) == Authority::kAirtable) continue;
      using mapping::Storage;
      const Storage storage = f.column.storage;
      if (storage == Storage::kJunction || storage == Storage::kUserJunction) {
        if (f.link_role == mapping::LinkRole::kJunctionInverse) continue;  // Airtable mirrors it
        if (!all && !w.link_fields.count(f.field.id)) continue;
        AIRPG_RETURN_IF_ERROR(LinkCell(w, f));
        continue;
      }
      if (!f.HasColumn() || (!all && !w.columns.count(f.column_name))) continue;
      json value = w.row.value(f.column_name, json());
      if (all && value.is_null()) continue;
      if (storage == Storage::kForeignKey) {
        AIRPG_RETURN_IF_ERROR(ForeignKeyCell(w, f, value));
        continue;
      }
      Result<std::optional<std::string>> cell = CellFromColumn(f, value);
      if (!cell.ok()) {
        log::Warn("outbox: {}", cell.status().ToString());
        continue;
      }
      if (!*cell) continue;
      w.typecast = w.typecast || NeedsTypecast(f, **cell);
      w.write.fields.emplace_back(f.field.id, **cell);
    }
    return Status::Ok();
  }

  Status ForeignKeyCell(RecordWork& w, const mapping::FieldPlan& f, const json& value) {
    if (value.is_null()) {
      w.write.fields.emplace_back(f.field.id, "[]");
      return Status::Ok();
    }
    const mapping::TablePlan* target = base_.plan.FindTable(f.linked_table_id);
    if (target == nullptr) return Status::Ok();
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows rows, conn_.Exec(fmt::format("SELECT airtable_id FROM {} WHERE id = $1::bigint",
                                              QualifiedName(base_.schema, target->table_name)),
                                  {value.dump()}));
    if (rows.size() == 0 || rows.IsNull(0, 0)) {
      w.unresolved.push_back(f.column_name);
      return Status::Ok();
    }
    w.write.fields.emplace_back(f.field.id, json::array({std::string(rows.Get(0, 0))}).dump());
    return Status::Ok();
  }

  Status LinkCell(RecordWork& w, const mapping::FieldPlan& f) {
    std::string junction = QualifiedName(base_.schema, f.relation_table);
    json cell = json::array();
    if (f.column.storage == mapping::Storage::kUserJunction) {
      AIRPG_ASSIGN_OR_RETURN(
          pg::Rows rows,
          conn_.Exec(fmt::format("SELECT user_id FROM {} WHERE record_id = $1::bigint ORDER BY "
                                 "position, user_id",
                                 junction),
                     {std::to_string(w.row_id)}));
      for (int i = 0; i < rows.size(); ++i) cell.push_back({{"id", std::string(rows.Get(i, 0))}});
      w.write.fields.emplace_back(f.field.id, cell.dump());
      return Status::Ok();
    }
    const mapping::TablePlan* target = base_.plan.FindTable(f.linked_table_id);
    if (target == nullptr) return Status::Ok();
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows rows,
        conn_.Exec(fmt::format("SELECT l.airtable_id FROM {} j JOIN {} l ON l.id = j.to_id WHERE "
                               "j.from_id = $1::bigint ORDER BY j.position NULLS LAST, j.to_id",
                               junction, QualifiedName(base_.schema, target->table_name)),
                   {std::to_string(w.row_id)}));
    for (int i = 0; i < rows.size(); ++i) {
      if (rows.IsNull(i, 0)) {
        // Sent once every target has an id, so the order is never half right.
        w.unresolved.push_back(f.field.id);
        return Status::Ok();
      }
      cell.push_back(std::string(rows.Get(i, 0)));
    }
    w.write.fields.emplace_back(f.field.id, cell.dump());
    return Status::Ok();
  }

  // The Airtable id of a record created under `key` (an upsert of the key
  // alone finds it, or makes it when the first create never arrived).
  Result<std::string> ResolveKeyed(const mapping::TablePlan& table, RecordWork& w,
                                   const std::string& key) {
    AIRPG_ASSIGN_OR_RETURN(std::string key_field, d_.KeyField(table));
    airtable::RecordWrite write;
    write.fields.emplace_back(key_field, json(key).dump());
    airtable::WriteOptions options;
    options.return_fields_by_field_id = true;
    ++report_.requests;
    airtable::BatchOutcome out =
        d_.client_.WriteBatch(base_.base_id, table.table_id, {write}, {key_field}, options);
    AIRPG_RETURN_IF_ERROR(out.status);
    if (out.result.records.empty()) return std::string();
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn_));
    AIRPG_RETURN_IF_ERROR(RecordKeyedId(tx, table.table_id, w.row_id, out.result.records[0].id));
    AIRPG_RETURN_IF_ERROR(tx.Commit());
    return out.result.records[0].id;
  }

  Status Drop(RecordWork& w, const std::string& reason) {
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn_));
    AIRPG_RETURN_IF_ERROR(CompleteChanges(tx, w.ids));
    if (!reason.empty()) {
      AIRPG_RETURN_IF_ERROR(
          tx.Run("UPDATE airpg.outbox SET last_error = $2 WHERE outbox_id = ANY($1::bigint[])",
                 {IdList(w.ids), reason}));
    }
    AIRPG_RETURN_IF_ERROR(tx.Commit());
    w.ids.clear();
    w.op = Op::kNone;
    return Status::Ok();
  }

  Status FollowUpOnly(RecordWork& w) {
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn_));
    AIRPG_RETURN_IF_ERROR(FollowUps(tx, w));
    AIRPG_RETURN_IF_ERROR(CompleteChanges(tx, w.ids));
    AIRPG_RETURN_IF_ERROR(tx.Commit());
    w.ids.clear();
    w.op = Op::kNone;
    return Status::Ok();
  }

  // Link fields held back for targets without an Airtable id: queued again.
  Status FollowUps(pg::Transaction& tx, const RecordWork& w) {
    std::vector<std::string> columns, fields;
    for (const auto& name : w.unresolved) {
      (name.rfind("fld", 0) == 0 ? fields : columns).push_back(name);
    }
    if (!columns.empty()) {
      OutboxChange c = w.first;
      c.field_id.clear();
      AIRPG_RETURN_IF_ERROR(QueueFollowUp(tx, base_.base_id, c, columns, d_.options_.link_wait));
    }
    for (const auto& field_id : fields) {
      OutboxChange c = w.first;
      c.field_id = field_id;
      AIRPG_RETURN_IF_ERROR(QueueFollowUp(tx, base_.base_id, c, {}, d_.options_.link_wait));
    }
    return Status::Ok();
  }

  static std::string IdList(const std::vector<int64_t>& ids) {
    std::string out = "{";
    for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
    return out + "}";
  }

  // Mass-delete breaker: a round deleting more than the share of a table's
  // live rows (and more than min_held_deletes) holds them as dead letters
  // (MASS_DELETE_HELD). Deletes an operator replayed are released: sent.
  Status HoldMassDeletes() {
    std::map<const mapping::TablePlan*, std::vector<RecordWork*>> deletes;
    for (RecordWork& w : works_) {
      if (w.op == Op::kDelete && !w.released) deletes[w.table].push_back(&w);
    }
    for (auto& [table, list] : deletes) {
      if (static_cast<int64_t>(list.size()) <= d_.options_.min_held_deletes) continue;
      AIRPG_ASSIGN_OR_RETURN(
          pg::Rows live, conn_.Exec(fmt::format("SELECT count(*) FROM {} WHERE airtable_id IS NOT "
                                                "NULL",
                                                QualifiedName(base_.schema, table->table_name))));
      double total = std::stod(std::string(live.Get(0, 0))) + static_cast<double>(list.size());
      if (static_cast<double>(list.size()) / total <= d_.options_.max_delete_share) continue;
      std::string reason = fmt::format(
          "mass delete held: {} of {} records of table {} in one round (more than {}); `airpg dlq "
          "replay` sends them",
          list.size(), static_cast<int64_t>(total), table->airtable_name,
          d_.options_.max_delete_share);
      AIRPG_RETURN_IF_ERROR(
          DeadLetterChanges(conn_, Ids(list), "", "", std::string(kMassDeleteHeld), reason));
      AIRPG_RETURN_IF_ERROR(RecordEvent(
          conn_,
          {base_.base_id, table->table_id, "outbox_delete_held", static_cast<int64_t>(list.size()),
           0, std::nullopt, json{{"reason", reason}}.dump()}));
      log::Warn("outbox: {}", reason);
      report_.dead += static_cast<int64_t>(Ids(list).size());
      for (RecordWork* w : list) {
        w->ids.clear();
        w->op = Op::kNone;
      }
    }
    return Status::Ok();
  }

  // The token was refused: nothing more is sent; what is left goes back.
  Status GiveBack(const Status& why) {
    std::vector<RecordWork*> rest;
    for (RecordWork& w : works_) {
      if (!w.ids.empty()) rest.push_back(&w);
    }
    AIRPG_RETURN_IF_ERROR(
        RescheduleChanges(conn_, Ids(rest), std::chrono::seconds(1), std::string(why.message())));
    return why;
  }

  // A refused token stops the base's writes until the sync starts again.
  Status StopWrites(const mapping::TablePlan& table, const Status& refused,
                    const std::string& error_type) {
    std::string why =
        fmt::format("Airtable refused the token ({}): {}", error_type, refused.message());
    AIRPG_RETURN_IF_ERROR(conn_.Run(
        "INSERT INTO airpg.sync_bases (base_id, writes_stopped) VALUES ($1, $2) ON CONFLICT "
        "(base_id) DO UPDATE SET writes_stopped = EXCLUDED.writes_stopped",
        {base_.base_id, why}));
    AIRPG_RETURN_IF_ERROR(RecordEvent(conn_, {base_.base_id, table.table_id, "outbox_stopped", 0, 1,
                                              std::nullopt, json{{"reason", why}}.dump()}));
    log::Error("outbox of {}: {}; writes to Airtable stopped", base_.base_id, why);
    return Status(refused.code(), why);
  }

  // One request; its outcome recorded per record. Non-OK only when the
  // token was refused (the round stops).
  Status Send(const mapping::TablePlan& table, Op op, std::vector<RecordWork*> chunk) {
    // An update's records stay marked until its outcome (with Airtable's
    // answer) is committed: the webhook payload of this very write waits
    // for it instead of applying the answer's cells as Airtable's change.
    pg::WriteMark sending;
    if (op == Op::kUpdate) {
      std::vector<std::string> ids;
      for (RecordWork* w : chunk) ids.push_back(w->record_id);
      AIRPG_ASSIGN_OR_RETURN(
          sending, pg::WriteMark::Take(conn_, pg::WriteSource::kOutbox, table.table_id, ids));
    }
    airtable::BatchOutcome out;
    ++report_.requests;
    if (op == Op::kDelete) {
      std::vector<std::string> ids;
      for (RecordWork* w : chunk) ids.push_back(w->record_id);
      out = d_.client_.DeleteBatch(base_.base_id, table.table_id, ids);
    } else {
      std::vector<airtable::RecordWrite> writes;
      airtable::WriteOptions options;
      for (RecordWork* w : chunk) {
        writes.push_back(w->write);
        // Harmless for the request's other cells: they are typed already.
        options.typecast = options.typecast || w->typecast;
      }
      options.return_fields_by_field_id = true;
      std::vector<std::string> merge_on;
      if (op == Op::kCreate) {
        AIRPG_ASSIGN_OR_RETURN(std::string key_field, d_.KeyField(table));
        merge_on.push_back(key_field);
      }
      out = d_.client_.WriteBatch(base_.base_id, table.table_id, writes, merge_on, options);
    }
    if (out.status.ok()) return Succeeded(table, op, chunk, out);
    const StatusCode code = out.status.code();
    if (code == StatusCode::kUnauthenticated || code == StatusCode::kPermissionDenied) {
      return StopWrites(table, out.status, out.error_type);
    }
    if (op == Op::kUpdate) {
      // Records Airtable deleted under this update: decided by the rule
      // (deleted_records.h); Airtable refused the whole request, so the
      // others are sent again without them.
      std::vector<RecordWork*> gone = GoneRecords(table, chunk, out);
      if (!gone.empty()) {
        for (RecordWork* w : gone) AIRPG_RETURN_IF_ERROR(UpdateOfDeleted(table, *w));
        std::erase_if(chunk, [&](RecordWork* w) {
          return std::find(gone.begin(), gone.end(), w) != gone.end();
        });
        return chunk.empty() ? Status::Ok() : Send(table, op, chunk);
      }
    }
    if ((code == StatusCode::kInvalidArgument || code == StatusCode::kNotFound) &&
        chunk.size() > 1) {
      // Airtable applies a request whole or not at all: one record at a
      // time tells which one it refused.
      for (RecordWork* w : chunk) AIRPG_RETURN_IF_ERROR(Send(table, op, {w}));
      return Status::Ok();
    }
    RecordWork& w = *chunk.front();
    if (code == StatusCode::kNotFound && chunk.size() == 1) {
      // Deleted in Airtable already: a delete is done.
      return Finish(w, out.status.ToString());
    }
    if (code == StatusCode::kInvalidArgument) {
      report_.dead += static_cast<int64_t>(w.ids.size());
      std::vector<int64_t> ids = Ids(chunk);
      for (RecordWork* c : chunk) c->ids.clear();
      return DeadLetterChanges(conn_, ids, out.request, out.response, out.error_type,
                               std::string(out.status.message()));
    }
    // Transient, or an outcome not known: sent again later. A create is an
    // upsert on its key, so sending it again cannot make a second record.
    int attempts = 1;
    for (RecordWork* c : chunk) attempts = std::max(attempts, c->attempts);
    auto delay = std::min<std::chrono::milliseconds>(
        d_.options_.retry_initial * (1LL << std::min(attempts - 1, 10)), std::chrono::minutes(1));
    std::vector<int64_t> ids = Ids(chunk);
    report_.rescheduled += static_cast<int64_t>(ids.size());
    for (RecordWork* c : chunk) c->ids.clear();
    return RescheduleChanges(conn_, ids, delay, out.status.ToString());
  }

  // The records of a refused update that Airtable no longer has: a 404 of
  // one record, or 422 ROW_DOES_NOT_EXIST naming the record's id (a deleted
  // link target is named too, and is not the record's: that stays a 422 to
  // dead-letter). A message naming no record at all is checked by reading
  // the record.
  std::vector<RecordWork*> GoneRecords(const mapping::TablePlan& table,
                                       const std::vector<RecordWork*>& chunk,
                                       const airtable::BatchOutcome& out) {
    const StatusCode code = out.status.code();
    if (code == StatusCode::kNotFound && chunk.size() == 1) return chunk;
    std::vector<RecordWork*> gone;
    if (code != StatusCode::kInvalidArgument || out.error_type != "ROW_DOES_NOT_EXIST") return gone;
    const std::string_view message = out.status.message();
    for (RecordWork* w : chunk) {
      if (message.find(w->record_id) != std::string_view::npos) gone.push_back(w);
    }
    if (gone.empty() && chunk.size() == 1 && message.find("rec") == std::string_view::npos) {
      ++report_.requests;
      Result<airtable::Record> read =
          d_.client_.GetRecord(base_.base_id, table.table_id, chunk.front()->record_id, true,
                               airtable::Priority::kWrite);
      const StatusCode read_code = read.status().code();
      if (read_code == StatusCode::kNotFound || read_code == StatusCode::kPermissionDenied) {
        gone.push_back(chunk.front());
      }
    }
    return gone;
  }

  // An update of a record Airtable deleted: a delete-vs-update conflict of
  // the record, decided and applied in one transaction with the changes' end.
  Status UpdateOfDeleted(const mapping::TablePlan& table, RecordWork& w) {
    json cells = json::object();
    for (const auto& [field_id, cell] : w.write.fields) {
      cells[field_id] = json::parse(cell, nullptr, false);
    }
    AIRPG_ASSIGN_OR_RETURN(pg::Rows committed,
                           conn_.Exec("SELECT (extract(epoch FROM max(created_at)) * 1000000)::"
                                      "bigint FROM airpg.outbox WHERE outbox_id = "
                                      "ANY($1::bigint[])",
                                      {IdList(w.ids)}));
    DeletedRecordChange change;
    change.table = &table;
    change.row_id = w.row_id;
    change.record_id = w.record_id;
    change.postgres_cells = cells.dump();
    // Airtable does not say when it deleted the record: when airpg saw it.
    change.deleted_at = std::chrono::system_clock::now();
    if (!committed.empty() && !committed.IsNull(0, 0)) {
      change.postgres_committed =
          SyncTime(std::chrono::microseconds(std::stoll(std::string(committed.Get(0, 0)))));
    }
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn_));
    AIRPG_ASSIGN_OR_RETURN(DeletedRecordOutcome outcome,
                           ResolveDeletedRecord(tx, base_, authority_.at(table.table_id), change));
    AIRPG_RETURN_IF_ERROR(CompleteChanges(tx, w.ids));
    const char* what = outcome == DeletedRecordOutcome::kTombstoned  ? "tombstoned in Postgres"
                       : outcome == DeletedRecordOutcome::kRecreated ? "created again in Airtable"
                                                                     : "parked as a conflict";
    AIRPG_RETURN_IF_ERROR(tx.Run(
        "UPDATE airpg.outbox SET last_error = $2 WHERE outbox_id = ANY($1::bigint[])",
        {IdList(w.ids), fmt::format("record {} was deleted in Airtable: {}", w.record_id, what)}));
    AIRPG_RETURN_IF_ERROR(tx.Commit());
    ++report_.deleted_conflicts;
    w.ids.clear();
    w.op = Op::kNone;
    return Status::Ok();
  }

  Status Succeeded(const mapping::TablePlan& table, Op op, const std::vector<RecordWork*>& chunk,
                   const airtable::BatchOutcome& out) {
    if (op == Op::kDelete) {
      report_.deleted += static_cast<int64_t>(chunk.size());
      for (RecordWork* w : chunk) AIRPG_RETURN_IF_ERROR(Finish(*w, "", /*pushed=*/true));
      return PushEvent(table, op, chunk.size());
    }
    if (op == Op::kUpdate) {
      report_.updated += static_cast<int64_t>(chunk.size());
      std::map<std::string, const airtable::Record*> by_id;
      for (const auto& r : out.result.records) by_id[r.id] = &r;
      // The request's records in one transaction: one apply of the answers
      // instead of one per record keeps the outcomes of a batch well inside
      // the pacer's spacing, so the next batch goes at its slot (bench/sync_out).
      std::vector<const airtable::Record*> answers;
      std::vector<int64_t> ids;
      AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn_));
      for (RecordWork* w : chunk) {
        auto answer = by_id.find(w->record_id);
        if (answer != by_id.end()) answers.push_back(answer->second);
      }
      if (!answers.empty()) AIRPG_RETURN_IF_ERROR(echo_.ApplyAnswer(tx, table, answers));
      for (RecordWork* w : chunk) {
        auto answer = by_id.find(w->record_id);
        if (answer != by_id.end()) {
          AIRPG_RETURN_IF_ERROR(RecordSentValues(tx, base_, table, w->write, *answer->second));
        }
        AIRPG_RETURN_IF_ERROR(FollowUps(tx, *w));
        AIRPG_RETURN_IF_ERROR(MarkPushed(tx, w->ids, w->record_id));
        ids.insert(ids.end(), w->ids.begin(), w->ids.end());
      }
      AIRPG_RETURN_IF_ERROR(CompleteChanges(tx, ids));
      AIRPG_RETURN_IF_ERROR(tx.Commit());
      for (RecordWork* w : chunk) w->ids.clear();
      return PushEvent(table, op, chunk.size());
    }
    AIRPG_ASSIGN_OR_RETURN(std::string key_field, d_.KeyField(table));
    std::map<std::string, const airtable::Record*> by_key;
    for (const auto& r : out.result.records) {
      if (auto cell = r.Cell(key_field)) {
        json k = json::parse(*cell, nullptr, false);
        if (k.is_string()) by_key[k.get<std::string>()] = &r;
      }
    }
    std::vector<Created> made;
    for (size_t i = 0; i < chunk.size(); ++i) {
      RecordWork& w = *chunk[i];
      auto found = by_key.find(w.key);
      const airtable::Record* r = found != by_key.end()           ? found->second
                                  : i < out.result.records.size() ? &out.result.records[i]
                                                                  : nullptr;
      if (r == nullptr) continue;  // the lease runs out; sent again, the upsert finds it
      made.push_back({&w, r});
    }
    if (made.empty()) return PushEvent(table, op, chunk.size());
    Status recorded = RecordCreated(table, made);
    // The inbound apply of a create's webhook inserted the record as a row
    // of its own and committed while this transaction waited on it: once
    // more, and the row it committed is seen and taken out (a few times: the
    // request's other records may meet the same).
    for (int again = 0; again < 3 && recorded.code() == StatusCode::kAlreadyExists; ++again) {
      recorded = RecordCreated(table, made);
    }
    AIRPG_RETURN_IF_ERROR(recorded);
    for (const Created& c : made) {
      c.work->ids.clear();
      ++report_.created;
    }
    return PushEvent(table, op, chunk.size());
  }

  struct Created {
    RecordWork* work;
    const airtable::Record* record;
  };

  // A request's create outcomes, in one transaction: each row takes its
  // record's id. One apply of the answers instead of one transaction per
  // record keeps the outcomes of a batch inside the pacer's spacing, so the
  // next batch goes at its slot (bench/sync_out (c)).
  Status RecordCreated(const mapping::TablePlan& table, const std::vector<Created>& made) {
    std::string live = QualifiedName(base_.schema, table.table_name);
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn_));
    // Bookkeeping, not a change to send back.
    AIRPG_RETURN_IF_ERROR(tx.Run("SET LOCAL airpg.origin = 'airtable'"));
    std::vector<const airtable::Record*> answers;
    for (const auto& [w, r] : made) {
      // The webhook of this create may have been applied first, as a row
      // of its own: it is this row.
      AIRPG_RETURN_IF_ERROR(
          tx.Run(fmt::format("DELETE FROM {} WHERE airtable_id = $1 AND id <> $2::bigint", live),
                 {r->id, std::to_string(w->row_id)}));
      AIRPG_RETURN_IF_ERROR(tx.Run(
          fmt::format("UPDATE {} SET airtable_id = $1 WHERE id = $2::bigint AND airtable_id IS "
                      "NULL",
                      live),
          {r->id, std::to_string(w->row_id)}));
      answers.push_back(r);
    }
    AIRPG_RETURN_IF_ERROR(echo_.ApplyAnswer(tx, table, answers));
    for (const auto& [w, r] : made) {
      AIRPG_RETURN_IF_ERROR(RecordSentValues(tx, base_, table, w->write, *r));
      AIRPG_RETURN_IF_ERROR(RecordKeyedId(tx, table.table_id, w->row_id, r->id));
      AIRPG_RETURN_IF_ERROR(FollowUps(tx, *w));
      AIRPG_RETURN_IF_ERROR(MarkPushed(tx, w->ids, r->id));
      AIRPG_RETURN_IF_ERROR(CompleteChanges(tx, w->ids));
    }
    return tx.Commit();
  }

  // Every push is in sync_events (and, through MarkPushed, on the audit rows
  // of the writes it sent).
  Status PushEvent(const mapping::TablePlan& table, Op op, size_t records) {
    const char* what = op == Op::kCreate ? "create" : op == Op::kUpdate ? "update" : "delete";
    return RecordEvent(conn_, {base_.base_id, table.table_id, "push", static_cast<int64_t>(records),
                               1, std::nullopt, json{{"operation", what}}.dump()});
  }

  Status Finish(RecordWork& w, const std::string& note, bool pushed = false) {
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn_));
    AIRPG_RETURN_IF_ERROR(FollowUps(tx, w));
    if (pushed) AIRPG_RETURN_IF_ERROR(MarkPushed(tx, w.ids, w.record_id));
    AIRPG_RETURN_IF_ERROR(CompleteChanges(tx, w.ids));
    if (!note.empty()) {
      AIRPG_RETURN_IF_ERROR(
          tx.Run("UPDATE airpg.outbox SET last_error = $2 WHERE outbox_id = ANY($1::bigint[])",
                 {IdList(w.ids), note}));
    }
    AIRPG_RETURN_IF_ERROR(tx.Commit());
    w.ids.clear();
    return Status::Ok();
  }

  OutboxDispatcher& d_;
  pg::Connection& conn_;
  LiveBase base_;
  std::map<std::string, TableAuthority> authority_;
  InboundState inbound_;
  std::vector<RecordWork> works_;
  OutboxEcho echo_{d_.client_, conn_, base_};
  DispatchReport report_;
};

OutboxDispatcher::OutboxDispatcher(airtable::Client& client, pg::Connection& conn,
                                   std::string base_id, DispatchOptions options)
    : client_(client), conn_(conn), base_id_(std::move(base_id)), options_(std::move(options)) {}

Result<DispatchReport> OutboxDispatcher::RunOnce() { return Round(*this).Run(); }

Result<std::string> OutboxDispatcher::KeyField(const mapping::TablePlan& table) {
  if (auto it = key_fields_.find(table.table_id); it != key_fields_.end()) return it->second;
  for (const auto& f : table.fields) {
    if (f.field.name == kKeyFieldName) return key_fields_[table.table_id] = f.field.id;
  }
  // Not in the mirror yet: Airtable may have it (made by another
  // dispatcher, or the schema sync has not applied it); else it is created.
  // Two dispatchers creating it at once: the second is refused (a field of
  // that name exists) and finds the first one's.
  for (int attempt = 0; attempt < 2; ++attempt) {
    AIRPG_ASSIGN_OR_RETURN(airtable::BaseSchema schema,
                           client_.GetBaseSchema(base_id_, false, airtable::Priority::kWrite));
    if (const airtable::Table* t = schema.FindTable(table.table_id)) {
      if (const airtable::Field* f = t->FindField(kKeyFieldName)) {
        return key_fields_[table.table_id] = f->id;
      }
    }
    if (attempt > 0) break;
    json field = {{"name", std::string(kKeyFieldName)},
                  {"type", "singleLineText"},
                  {"description",
                   "Written by airpg: the key that makes a record created from Postgres exactly "
                   "once. Hide it in views; do not edit it."}};
    Result<std::string> id = client_.CreateField(base_id_, table.table_id, field.dump());
    if (id.ok()) {
      log::Info("outbox: created field \"{}\" ({}) in table {}", kKeyFieldName, *id,
                table.airtable_name);
      return key_fields_[table.table_id] = *id;
    }
    if (id.status().code() != StatusCode::kInvalidArgument) return id.status();
  }
  return FailedPreconditionError(fmt::format("table {} has no field \"{}\" and it cannot be made",
                                             table.airtable_name, kKeyFieldName));
}

Status ResumeWrites(pg::Connection& conn, const std::string& base_id) {
  return conn.Run("UPDATE airpg.sync_bases SET writes_stopped = NULL WHERE base_id = $1",
                  {base_id});
}

}  // namespace airpg::sync
