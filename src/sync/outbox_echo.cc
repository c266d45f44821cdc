#include "sync/outbox_echo.h"

#include <fmt/core.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "base/sql_identifier.h"
#include "sync/record_reader.h"

namespace airpg::sync {

using nlohmann::json;

Status OutboxEcho::NoteLinkedRecords(const mapping::TablePlan& table, int64_t row_id,
                                     const json& row_now,
                                     const std::vector<OutboxChange>& changes) {
  std::map<const mapping::TablePlan*, std::set<std::string>> rows;  // target → row ids
  auto add = [&](const std::string& table_id, const json& id) {
    const mapping::TablePlan* t = base_.plan.FindTable(table_id);
    if (t != nullptr && (id.is_number() || id.is_string())) {
      rows[t].insert(id.is_string() ? id.get<std::string>() : id.dump());
    }
  };
  for (const OutboxChange& c : changes) {
    for (const std::string* text : {&c.old_row, &c.new_row}) {
      if (text->empty()) continue;
      json row = json::parse(*text, nullptr, false);
      if (!row.is_object()) continue;
      if (!c.field_id.empty()) {
        const mapping::FieldPlan* f = table.FindField(c.field_id);
        if (f != nullptr) add(f->linked_table_id, row.value("to_id", json()));
        continue;
      }
      for (const auto& f : table.fields) {
        if (f.column.storage == mapping::Storage::kForeignKey && f.HasColumn()) {
          add(f.linked_table_id, row.value(f.column_name, json()));
        }
      }
    }
  }
  for (const auto& [target, ids] : rows) {
    std::string list = "{";
    for (const auto& id : ids) list += (list.size() > 1 ? "," : "") + id;
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows found,
        conn_.Exec(fmt::format("SELECT airtable_id FROM {} WHERE id = ANY($1::bigint[]) AND "
                               "airtable_id IS NOT NULL",
                               QualifiedName(base_.schema, target->table_name)),
                   {list + "}"}));
    for (int i = 0; i < found.size(); ++i) {
      touched_[target->table_id].insert(std::string(found.Get(i, 0)));
    }
  }
  const bool gone = !row_now.is_object() || !row_now.value("deleted_at", json()).is_null();
  if (!gone) return Status::Ok();
  for (const auto& t : base_.plan.tables) {
    for (const auto& f : t.fields) {
      if (f.column.storage != mapping::Storage::kForeignKey || !f.HasColumn() ||
          f.linked_table_id != table.table_id) {
        continue;
      }
      AIRPG_ASSIGN_OR_RETURN(
          pg::Rows found,
          conn_.Exec(fmt::format("SELECT airtable_id FROM {} WHERE {} = $1::bigint AND "
                                 "airtable_id IS NOT NULL",
                                 QualifiedName(base_.schema, t.table_name),
                                 QuoteIdentifier(f.column_name)),
                     {std::to_string(row_id)}));
      for (int i = 0; i < found.size(); ++i) {
        touched_[t.table_id].insert(std::string(found.Get(i, 0)));
      }
    }
  }
  return Status::Ok();
}

// Airtable's answer to airpg's own write (the whole record, with the
// computed cells our write moved: last modified time, counts, inverse
// links) goes into the row now, in the outcome's transaction, with origin
// airtable and airpg.echo on: no outbox row, no audit row of its own (the
// Postgres write that caused it is the audited change). The webhook
// payload of the same write then finds nothing to change.
Status OutboxEcho::ApplyAnswer(pg::Transaction& tx, const mapping::TablePlan& table,
                               const std::vector<const airtable::Record*>& records) {
  ChangeBatch batch;
  batch.source = "outbox";
  auto& upserts = batch.Table(table.table_id).upserts;
  for (const airtable::Record* r : records)
    upserts.push_back(WithoutUnmirrored(table.table_id, *r));
  AIRPG_RETURN_IF_ERROR(tx.Run("SET LOCAL airpg.echo = 'on'"));
  RecordApplier applier(base_, {});
  AIRPG_ASSIGN_OR_RETURN(ApplyStats stats, applier.Apply(tx, batch));
  for (auto& [table_id, ids] : stats.touched) touched_[table_id].merge(ids);
  return tx.Run("SET LOCAL airpg.echo = 'off'");
}

// The records on the other side of the links the writes changed (their
// inverse cells, counts and lookups moved in Airtable too): read after
// every outcome is committed, applied in a short transaction of their
// own, also with airpg.echo on. Two rounds settle them (a link change
// touches only its pair).
Result<int64_t> OutboxEcho::FollowTouched() {
  int64_t total = 0;
  for (int round = 0; round < 2 && !touched_.empty(); ++round) {
    TouchedRecords ids = std::exchange(touched_, {});
    int64_t requests = 0;
    AIRPG_ASSIGN_OR_RETURN(ChangeBatch batch, ReadRecords(client_, base_.base_id, ids,
                                                          airtable::Priority::kWrite, &requests));
    total += requests;
    batch.source = "outbox";
    for (auto& t : batch.tables) {
      for (auto& r : t.upserts) r = WithoutUnmirrored(t.table_id, r);
    }
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn_));
    AIRPG_RETURN_IF_ERROR(tx.Run("SET LOCAL airpg.echo = 'on'"));
    RecordApplier applier(base_, {});
    AIRPG_ASSIGN_OR_RETURN(ApplyStats stats, applier.Apply(tx, batch));
    AIRPG_RETURN_IF_ERROR(tx.Commit());
    for (auto& [table_id, more] : stats.touched) touched_[table_id].merge(more);
  }
  return total;
}

// The record without cells the mirror does not take from an answer: a
// field it does not have yet (the `airpg key` until the schema sync adds
// it) and attachments (not downloaded again for an echo).
airtable::Record OutboxEcho::WithoutUnmirrored(const std::string& table_id,
                                               const airtable::Record& r) const {
  const mapping::TablePlan* table = base_.plan.FindTable(table_id);
  airtable::Record copy;
  copy.id = r.id;
  copy.created_time = r.created_time;
  for (size_t i = 0; i < r.field_count(); ++i) {
    const mapping::FieldPlan* f = table ? table->FindField(r.FieldKey(i)) : nullptr;
    if (f == nullptr || f->column.storage == mapping::Storage::kAttachments) continue;
    copy.AddField(r.FieldKey(i), r.FieldJson(i));
  }
  return copy;
}

}  // namespace airpg::sync
