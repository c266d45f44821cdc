#include "sync/deleted_records.h"

#include <fmt/core.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "base/sql_identifier.h"
#include "pg/quote.h"
#include "sync/attachment_record_ids.h"
#include "sync/audit_trail.h"
#include "sync/outbox_store.h"
#include "sync/sync_events.h"

namespace airpg::sync {
namespace {

std::string EpochSeconds(SyncTime t) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
  return fmt::format("{}.{:06}", micros.count() / 1000000, micros.count() % 1000000);
}

// Airtable's delete and Postgres's change as one field DecideField knows:
// both sides moved from the base, differently.
FieldAction Decide(const TableAuthority& authority, const DeletedRecordChange& change) {
  FieldVersions versions;
  versions.base = "0";
  versions.airtable = "1";
  versions.postgres = "2";
  versions.airtable_modified = change.deleted_at;
  versions.postgres_committed = change.postgres_committed;
  return DecideField(versions, {authority.authority, authority.conflict}).action;
}

// The row as Airtable's delete leaves it: tombstoned, out of every link, as
// the inbound apply does (origin airtable).
Status Tombstone(pg::Transaction& tx, const LiveBase& base, const std::string& table_id,
                 const std::string& record_id) {
  ChangeBatch batch;
  batch.source = "outbox";
  batch.Table(table_id).destroyed.push_back(record_id);
  ApplyOptions options;
  options.decide_pending_deletes = false;  // decided: this is the outcome
  RecordApplier applier(base, {}, options);
  return applier.Apply(tx, batch).status();
}

// Airtable dropped the record's files with it: the row's attachments go
// again with its create. Filed under the row ("row:<id>",
// attachment_record_ids.h) with no att… id, they wait for the new rec id
// and are then uploaded as files added to a row not pushed yet are; the
// cells queued for the deleted record go (nothing to send there).
Status RequeueAttachments(pg::Transaction& tx, const LiveBase& base, const std::string& table_id,
                          const std::string& row, const std::string& record_id) {
  const std::string placeholder = kRowRecordPrefix + row;
  AIRPG_RETURN_IF_ERROR(
      tx.Run("UPDATE airpg.attachments SET record_id = $3, attachment_id = NULL WHERE "
             "schema_name = $1 AND table_id = $2 AND record_id = $4",
             {base.schema, table_id, placeholder, record_id}));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("DELETE FROM airpg.attachment_outbox WHERE schema_name = $1 AND table_id = $2 AND "
             "record_id = $3",
             {base.schema, table_id, record_id}));
  return tx.Run(
      "INSERT INTO airpg.attachment_outbox (table_id, record_id, field_id, base_id, schema_name) "
      "SELECT DISTINCT table_id, record_id, field_id, $4, schema_name FROM airpg.attachments "
      "WHERE schema_name = $1 AND table_id = $2 AND record_id = $3 ON CONFLICT (table_id, "
      "record_id, field_id) DO UPDATE SET changed_at = clock_timestamp(), available_at = "
      "clock_timestamp(), status = 'pending', attempts = 0, last_error = NULL",
      {base.schema, table_id, placeholder, base.base_id});
}

// The row loses the Airtable id of the deleted record `record_id` and is
// created again through the outbox, with its attachments; the rows that
// link to it are sent again once it has its new id (a link to a row without
// one waits, outbox_dispatcher.cc).
Status Recreate(pg::Transaction& tx, const LiveBase& base, const mapping::TablePlan& table,
                int64_t row_id, const std::string& record_id) {
  const std::string row = std::to_string(row_id);
  // Bookkeeping of airpg's, not a change to capture.
  AIRPG_RETURN_IF_ERROR(tx.Run("SET LOCAL airpg.origin = 'airtable'"));
  AIRPG_RETURN_IF_ERROR(RequeueAttachments(tx, base, table.table_id, row, record_id));
  AIRPG_RETURN_IF_ERROR(tx.Run(
      fmt::format("UPDATE {} SET airtable_id = NULL, deleted_at = NULL WHERE id = $1::bigint",
                  QualifiedName(base.schema, table.table_name)),
      {row}));
  AIRPG_RETURN_IF_ERROR(pg::ForgetKeyedId(tx, table.table_id, row_id));
  OutboxChange self;
  self.table_id = table.table_id;
  self.row_id = row_id;
  AIRPG_RETURN_IF_ERROR(QueueFollowUp(tx, base.base_id, self, {}, std::chrono::milliseconds(0)));
  for (const auto& t : base.plan.tables) {
    for (const auto& f : t.fields) {
      if (f.linked_table_id != table.table_id) continue;
      std::string sql;
      if (f.link_role == mapping::LinkRole::kJunction) {
        sql = fmt::format("SELECT DISTINCT from_id FROM {} WHERE to_id = $1::bigint",
                          QualifiedName(base.schema, f.relation_table));
      } else if (f.link_role == mapping::LinkRole::kForeignKey) {
        sql = fmt::format("SELECT id FROM {} WHERE {} = $1::bigint AND deleted_at IS NULL",
                          QualifiedName(base.schema, t.table_name), QuoteIdentifier(f.column_name));
      } else {
        continue;
      }
      AIRPG_ASSIGN_OR_RETURN(pg::Rows linking, tx.Exec(sql, {row}));
      for (int i = 0; i < linking.size(); ++i) {
        OutboxChange c;
        c.table_id = t.table_id;
        c.row_id = std::stoll(std::string(linking.Get(i, 0)));
        const bool junction = f.link_role == mapping::LinkRole::kJunction;
        if (junction) c.field_id = f.field.id;
        AIRPG_RETURN_IF_ERROR(QueueFollowUp(
            tx, base.base_id, c,
            junction ? std::vector<std::string>{} : std::vector<std::string>{f.column_name},
            std::chrono::milliseconds(0)));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<DeletedRecordOutcome> ResolveDeletedRecord(pg::Transaction& tx, const LiveBase& base,
                                                  const TableAuthority& authority,
                                                  const DeletedRecordChange& change) {
  // The row first, as the inbound apply locks it (LockDestroyedRows): the
  // two sides of one record's conflict then decide one after the other.
  AIRPG_RETURN_IF_ERROR(tx.Run(fmt::format("SELECT FROM {} WHERE id = $1::bigint FOR UPDATE",
                                           QualifiedName(base.schema, change.table->table_name)),
                               {std::to_string(change.row_id)}));
  // Decided already with this change: the inbound delete met the update
  // pending or in flight, then its 422 came back. Record ids are never
  // reused, so a decision of this id's delete is about this delete; it
  // holds, and nothing is done twice (an open one is met again below, as
  // one conflict). A change committed after the changes the decision
  // weighed (the row restored by hand since) is decided anew.
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows earlier,
      tx.Exec("SELECT coalesce(resolution, '') FROM airpg.conflicts WHERE table_id = $1 AND "
              "record_id = $2 AND field_id = '' AND status <> 'open' AND "
              "postgres_committed_at >= to_timestamp($3::double precision) ORDER BY conflict_id "
              "DESC LIMIT 1",
              {change.table->table_id, change.record_id, EpochSeconds(change.postgres_committed)}));
  if (!earlier.empty()) {
    return earlier.Get(0, 0) == "airtable" ? DeletedRecordOutcome::kTombstoned
                                           : DeletedRecordOutcome::kRecreated;
  }
  const FieldAction action = Decide(authority, change);
  const bool park = action == FieldAction::kPark;
  const std::string winner = action == FieldAction::kToAirtable ? "postgres" : "airtable";
  const std::string rule(ConflictRuleName(authority.conflict));
  std::vector<pg::Param> params = {base.base_id,
                                   change.table->table_id,
                                   change.record_id,
                                   rule,
                                   std::string(kDeletedInAirtable),
                                   change.postgres_cells,
                                   EpochSeconds(change.deleted_at),
                                   EpochSeconds(change.postgres_committed)};
  if (park) {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows opened,
        tx.Exec(
            "INSERT INTO airpg.conflicts (base_id, table_id, record_id, field_id, rule, "
            "airtable_value, postgres_value, airtable_modified_at, postgres_committed_at) "
            "VALUES ($1, $2, $3, '', $4, $5::jsonb, $6::jsonb, to_timestamp($7::double precision), "
            "to_timestamp($8::double precision)) ON CONFLICT (table_id, record_id, field_id) WHERE "
            "status = 'open' DO UPDATE SET rule = EXCLUDED.rule, postgres_value = "
            "EXCLUDED.postgres_value, postgres_committed_at = EXCLUDED.postgres_committed_at "
            "RETURNING xmax = 0",
            params));
    // Met again (the inbound delete, then the update's 422): one conflict.
    if (opened.Get(0, 0) != "t") return DeletedRecordOutcome::kParked;
  } else {
    params.push_back(winner);
    AIRPG_RETURN_IF_ERROR(tx.Run(
        "INSERT INTO airpg.conflicts (base_id, table_id, record_id, field_id, rule, "
        "airtable_value, postgres_value, airtable_modified_at, postgres_committed_at, status, "
        "resolution, resolved_value, resolved_at, applied_at) VALUES ($1, $2, $3, '', $4, "
        "$5::jsonb, $6::jsonb, to_timestamp($7::double precision), "
        "to_timestamp($8::double precision), 'resolved', $9, CASE WHEN $9 = 'airtable' THEN "
        "$5::jsonb ELSE $6::jsonb END, now(), now())",
        params));
  }
  const std::string outcome = park ? "parked" : winner;
  AIRPG_RETURN_IF_ERROR(RecordEvent(
      tx.connection(), {base.base_id, change.table->table_id, "conflict", 1, 0, std::nullopt,
                        nlohmann::json{{"record", change.record_id},
                                       {"deleted_in_airtable", true},
                                       {"rule", rule},
                                       {"outcome", outcome}}
                            .dump()}));
  nlohmann::json detail = {
      {"field", ""},
      {"rule", rule},
      {"outcome", outcome},
      {"airtable", nlohmann::json::parse(kDeletedInAirtable)},
      {"postgres", nlohmann::json::parse(change.postgres_cells, nullptr, false)}};
  AIRPG_RETURN_IF_ERROR(WriteAuditEntry(tx.connection(), {change.table->table_id, change.record_id,
                                                          "CONFLICT", "postgres", detail.dump()}));
  if (park) return DeletedRecordOutcome::kParked;
  if (action == FieldAction::kToAirtable) {
    AIRPG_RETURN_IF_ERROR(Recreate(tx, base, *change.table, change.row_id, change.record_id));
    return DeletedRecordOutcome::kRecreated;
  }
  AIRPG_RETURN_IF_ERROR(Tombstone(tx, base, change.table->table_id, change.record_id));
  return DeletedRecordOutcome::kTombstoned;
}

Status LockDestroyedRows(pg::Transaction& tx, const LiveBase& base, const ChangeBatch& batch) {
  for (const TableChanges& changes : batch.tables) {
    const mapping::TablePlan* table = base.plan.FindTable(changes.table_id);
    if (table == nullptr || changes.destroyed.empty()) continue;
    std::vector<std::optional<std::string>> ids(changes.destroyed.begin(), changes.destroyed.end());
    AIRPG_RETURN_IF_ERROR(tx.Run(
        fmt::format("SELECT FROM {} WHERE airtable_id = ANY($1::text[]) ORDER BY id FOR UPDATE",
                    QualifiedName(base.schema, table->table_name)),
        {pg::ArrayLiteral(ids)}));
  }
  return Status::Ok();
}

Result<std::vector<std::string>> DecidePendingUpdates(pg::Transaction& tx, const LiveBase& base,
                                                      const mapping::TablePlan& table,
                                                      const TableChanges& changes) {
  const std::vector<std::string>& destroyed = changes.destroyed;
  std::vector<std::optional<std::string>> ids(destroyed.begin(), destroyed.end());
  // A record whose delete-vs-update conflict is parked stays as it is, links
  // and all, until `conflicts resolve` decides it: taking Postgres must find
  // the links the tombstone would have removed (taking Airtable tombstones
  // it then, links too).
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows parked,
      tx.Exec("SELECT record_id FROM airpg.conflicts WHERE table_id = $1 AND record_id = "
              "ANY($2::text[]) AND field_id = '' AND status = 'open'",
              {table.table_id, pg::ArrayLiteral(ids)}));
  std::set<std::string> decided;
  for (int i = 0; i < parked.size(); ++i) decided.insert(std::string(parked.Get(i, 0)));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows pending,
      tx.Exec(
          fmt::format("SELECT t.id, t.airtable_id, to_jsonb(t)::text, (extract(epoch FROM "
                      "max(o.created_at)) * 1000000)::bigint FROM {} t JOIN airpg.outbox o ON "
                      "o.table_id = $1 AND o.row_id = t.id AND o.status = 'pending' WHERE "
                      "t.airtable_id = ANY($2::text[]) AND t.deleted_at IS NULL AND o.operation <> "
                      "'DELETE' AND NOT ('deleted_at' = ANY (coalesce(o.changed_columns, '{{}}'))) "
                      "GROUP BY t.id",
                      QualifiedName(base.schema, table.table_name)),
          {table.table_id, pg::ArrayLiteral(ids)}));
  auto rest_of = [&] {
    std::vector<std::string> rest;
    for (const auto& id : destroyed) {
      if (!decided.count(id)) rest.push_back(id);
    }
    return rest;
  };
  if (pending.empty()) return rest_of();
  AIRPG_ASSIGN_OR_RETURN(auto authority, LoadAuthority(tx.connection(), base.base_id));
  auto auth = authority.find(table.table_id);
  if (auth == authority.end() || !auth->second.PostgresWrites()) return rest_of();
  for (int i = 0; i < pending.size(); ++i) {
    if (decided.count(std::string(pending.Get(i, 1)))) continue;  // parked already
    DeletedRecordChange change;
    change.table = &table;
    change.row_id = std::stoll(std::string(pending.Get(i, 0)));
    change.record_id = std::string(pending.Get(i, 1));
    change.postgres_cells = std::string(pending.Get(i, 2));
    // The payload's time of the delete when there was one: a Postgres
    // change committed after it is the newer one under `latest`.
    change.deleted_at = std::chrono::system_clock::now();
    if (auto at = changes.destroyed_at.find(change.record_id); at != changes.destroyed_at.end()) {
      if (SyncTime said = ParseSyncTime(at->second); said != SyncTime{}) change.deleted_at = said;
    }
    change.postgres_committed =
        SyncTime(std::chrono::microseconds(std::stoll(std::string(pending.Get(i, 3)))));
    AIRPG_RETURN_IF_ERROR(ResolveDeletedRecord(tx, base, auth->second, change).status());
    decided.insert(change.record_id);
  }
  return rest_of();
}

Status ApplyRecordResolution(pg::Transaction& tx, const LiveBase& base, const Conflict& resolved) {
  const mapping::TablePlan* table = base.plan.FindTable(resolved.table_id);
  if (table != nullptr) {
    if (resolved.resolution == "airtable") {
      AIRPG_RETURN_IF_ERROR(Tombstone(tx, base, table->table_id, resolved.record_id));
    } else {
      // The row may have been tombstoned since by the inbound delete: it
      // comes back, Postgres won.
      AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                             tx.Exec(fmt::format("SELECT id FROM {} WHERE airtable_id = $1",
                                                 QualifiedName(base.schema, table->table_name)),
                                     {resolved.record_id}));
      if (!rows.empty()) {
        AIRPG_RETURN_IF_ERROR(Recreate(tx, base, *table, std::stoll(std::string(rows.Get(0, 0))),
                                       resolved.record_id));
      }
    }
  }
  return MarkApplied(tx, resolved.id);
}

}  // namespace airpg::sync
