#include "sync/inbound_conflicts.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <set>

#include "base/sql_identifier.h"
#include "pg/outbox_keys.h"
#include "sync/canonical_cells.h"
#include "sync/conflicts.h"
#include "sync/outbox_cells.h"
#include "sync/outbox_dispatcher.h"
#include "sync/outbox_store.h"
#include "sync/relation_values.h"

namespace airpg::sync {
namespace {

using nlohmann::json;

SyncTime FromEpoch(std::string_view seconds) {
  return SyncTime{} + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                          std::chrono::duration<double>(std::stod(std::string(seconds))));
}

// `record` with the cells of `replaced` (field id → cell JSON, "null" for
// empty) in place of its own.
airtable::Record WithCells(const airtable::Record& record,
                           const std::map<std::string, std::string>& replaced) {
  airtable::Record out;
  out.id = record.id;
  out.created_time = record.created_time;
  out.comment_count = record.comment_count;
  out.unknown_keys = record.unknown_keys;
  for (size_t i = 0; i < record.field_count(); ++i) {
    if (replaced.count(std::string(record.FieldKey(i)))) continue;
    out.AddField(record.FieldKey(i), record.FieldJson(i));
  }
  for (const auto& [field_id, cell] : replaced) {
    if (cell != "null") out.AddField(field_id, cell);
  }
  return out;
}

std::string JsonList(const std::vector<std::string>& items) { return json(items).dump(); }

// A junction field's pending changes are outbox rows of that field; every
// other field's, rows of the table's own row naming its column.
bool ByField(const mapping::FieldPlan& f) {
  return f.column.storage == mapping::Storage::kJunction ||
         f.column.storage == mapping::Storage::kUserJunction;
}

// The `airpg key` cells of the records of `unfound` (the key field's; a
// field the mirror does not have yet may be it, so its text cells too).
std::vector<std::string> KeysOf(const mapping::TablePlan& table,
                                const std::vector<const airtable::Record*>& records,
                                const std::set<std::string>& unfound) {
  std::vector<std::string> keys;
  for (const airtable::Record* r : records) {
    if (!unfound.count(r->id)) continue;
    for (size_t i = 0; i < r->field_count(); ++i) {
      const mapping::FieldPlan* f = table.FindField(r->FieldKey(i));
      if (f != nullptr && f->field.name != kKeyFieldName) continue;
      json cell = json::parse(r->FieldJson(i), nullptr, false);
      if (cell.is_string()) keys.push_back(cell.get<std::string>());
    }
  }
  return keys;
}

}  // namespace

Result<InboundConflicts> InboundConflicts::Load(pg::Transaction& tx, const LiveBase& base,
                                                std::string read_from, std::string sent_at) {
  AIRPG_ASSIGN_OR_RETURN(auto authority, LoadAuthority(tx.connection(), base.base_id));
  InboundConflicts out(base, std::move(authority));
  out.read_from_ = std::move(read_from);
  out.sent_at_ = std::move(sent_at);
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                         tx.connection().Exec("SELECT current_setting('airpg.resolving', true), "
                                              "current_setting('airpg.echo', true) = 'on'"));
  if (rows.size() > 0 && !rows.IsNull(0, 0)) out.resolving_ = std::string(rows.Get(0, 0));
  out.echo_ = rows.size() > 0 && !rows.IsNull(0, 1) && rows.Get(0, 1) == "t";
  return out;
}

Result<std::vector<const airtable::Record*>> InboundConflicts::Decide(
    pg::Transaction& tx, const mapping::TablePlan& table, const TableChanges& changes,
    const std::vector<const airtable::Record*>& records) {
  auto auth = authority_.find(table.table_id);
  if (auth == authority_.end() || !auth->second.PostgresWrites() || records.empty()) {
    return records;
  }
  const TableAuthority& policy = auth->second;
  pg::Connection& conn = tx.connection();
  std::vector<std::string> ids;
  for (const airtable::Record* r : records) ids.push_back(r->id);
  std::vector<const mapping::FieldPlan*> fields;
  std::string columns;
  for (const auto& f : table.fields) {
    if (policy.Of(f.field.id) == Authority::kAirtable || !DecidedPerField(f)) continue;
    fields.push_back(&f);
    // Links and collaborators as their whole ordered list (relation_values.h).
    columns += IsRelationField(f) ? ", " + RelationValueSql(*base_, f, "t")
                                  : fmt::format(", t.{}::text", QuoteIdentifier(f.column_name));
  }
  if (fields.empty()) return records;
  // The rows as Postgres holds them now (records without one are new:
  // nothing to decide), locked in id order until the apply commits: the
  // apply of an outbound write's answer (outbox_echo.h) locks them here too,
  // so the two never interleave — what one commits (the row, its changes
  // done, the bases) the other's queries below see whole.
  const std::string select = fmt::format("SELECT t.airtable_id, t.id{} FROM {} t WHERE ", columns,
                                         QualifiedName(base_->schema, table.table_name));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec(select + "t.airtable_id = ANY(ARRAY(SELECT jsonb_array_elements_text($1::jsonb))) "
                         "ORDER BY t.id FOR NO KEY UPDATE OF t",
                {JsonList(ids)}));
  struct Row {
    int64_t id = 0;
    std::vector<std::string> cells;  // canonical, one per field of `fields`
  };
  std::map<std::string, Row> row_of;
  std::vector<std::string> row_ids;
  // Takes the rows of `found` named by a record of the batch.
  auto take = [&](const pg::Rows& found, const std::set<std::string>& wanted) {
    for (int i = 0; i < found.size(); ++i) {
      if (found.IsNull(i, 0) || !wanted.count(std::string(found.Get(i, 0)))) continue;
      Row& row = row_of[std::string(found.Get(i, 0))];
      row.id = std::stoll(std::string(found.Get(i, 1)));
      for (size_t k = 0; k < fields.size(); ++k) {
        const int c = static_cast<int>(k) + 2;
        auto text = found.IsNull(i, c) ? std::nullopt : std::optional(found.Get(i, c));
        row.cells.push_back(IsRelationField(*fields[k]) ? RelationCell(*fields[k], text)
                                                        : CanonicalColumnText(*fields[k], text));
      }
      row_ids.emplace_back(found.Get(i, 1));
    }
  };
  take(rows, std::set<std::string>(ids.begin(), ids.end()));
  // A record with no row by its id may be a Postgres-born row whose create's
  // answer the outbox is recording right now: the airtable_id it sets is not
  // committed, so the query above cannot see it, and the apply's upsert would
  // merge into the row once it is — overwriting a newer Postgres change still
  // pending with the create's older cell, undecided. The record carries the
  // row's airpg key: locking the keyed row waits for that transaction, and the
  // row is then decided as the record's like any other.
  std::set<std::string> unfound;
  for (const airtable::Record* r : records) {
    if (!row_of.count(r->id)) unfound.insert(r->id);
  }
  if (std::vector<std::string> keys = KeysOf(table, records, unfound); !keys.empty()) {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows keyed,
        conn.Exec(
            select + "t.id IN " +
                pg::RowsOfKeysSql("$1", "ARRAY(SELECT jsonb_array_elements_text($2::jsonb))") +
                " ORDER BY t.id FOR NO KEY UPDATE OF t",
            {table.table_id, JsonList(keys)}));
    take(keyed, unfound);
  }
  // Columns (and junction fields) with a Postgres change not sent yet, when
  // it was committed, the column's value before the first of them (both
  // sides held it), and the changes.
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows pending,
      conn.Exec("SELECT o.row_id, c, extract(epoch FROM max(o.created_at))::text, "
                "((array_agg(o.old_row -> c ORDER BY o.outbox_id))[1])::text, "
                "array_to_json(array_agg(o.outbox_id))::text, "
                "array_to_json(array_agg(o.new_row -> c))::text FROM "
                "airpg.outbox o, unnest(o.changed_columns) c WHERE o.table_id = $1 AND o.status "
                "= 'pending' AND o.field_id IS NULL AND o.row_id = ANY(ARRAY(SELECT "
                "jsonb_array_elements_text($2::jsonb)::bigint)) GROUP BY o.row_id, c "
                "UNION ALL SELECT o.row_id, o.field_id, extract(epoch FROM "
                "max(o.created_at))::text, NULL, array_to_json(array_agg(o.outbox_id))::text, "
                "NULL FROM "
                "airpg.outbox o WHERE o.table_id = $1 AND o.status = 'pending' AND o.field_id IS "
                "NOT NULL AND o.row_id = ANY(ARRAY(SELECT jsonb_array_elements_text($2::jsonb)"
                "::bigint)) GROUP BY o.row_id, o.field_id",
                {table.table_id, JsonList(row_ids)}));
  struct Pending {
    SyncTime committed;
    std::optional<std::string> before;
    std::vector<int64_t> ids;
    json written;  // the values the changes wrote to the column (JSON array; null for a field)
  };
  std::map<std::pair<int64_t, std::string>, Pending> pending_at;
  for (int i = 0; i < pending.size(); ++i) {
    pending_at[{std::stoll(std::string(pending.Get(i, 0))), std::string(pending.Get(i, 1))}] = {
        FromEpoch(pending.Get(i, 2)),
        pending.IsNull(i, 3) ? std::nullopt : std::optional<std::string>(pending.Get(i, 3)),
        json::parse(pending.Get(i, 4)).get<std::vector<int64_t>>(),
        pending.IsNull(i, 5) ? json() : json::parse(pending.Get(i, 5), nullptr, false)};
  }
  // Whether Airtable's cell is a value the pending changes themselves wrote.
  auto own_value = [](const mapping::FieldPlan& f, const Pending& p, const std::string& cell) {
    if (!p.written.is_array()) return false;
    for (const json& value : p.written) {
      if (CanonicalColumnJson(f, value.dump()) == cell) return true;
    }
    return false;
  };

  // Fields parked in an open conflict: each side keeps its value until the
  // operator resolves it (the outbound re-read may have parked it after the
  // Postgres change was sent or held back, so no change is pending).
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows parked,
      conn.Exec("SELECT record_id, field_id FROM airpg.conflicts WHERE table_id = $1 AND status "
                "= 'open' AND record_id = ANY(ARRAY(SELECT jsonb_array_elements_text($2::jsonb)))",
                {table.table_id, JsonList(ids)}));
  std::set<std::pair<std::string, std::string>> open;
  for (int i = 0; i < parked.size(); ++i) open.emplace(parked.Get(i, 0), parked.Get(i, 1));

  // Bases recorded since the records were read: (record id, field id) → value.
  std::map<std::pair<std::string, std::string>, json> recorded_since;
  if (!read_from_.empty()) {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows since,
        conn.Exec("SELECT record_id, field_id, value::text FROM airpg.field_sync_state WHERE "
                  "table_id = $1 AND synced_at > $3::timestamptz AND record_id = "
                  "ANY(ARRAY(SELECT jsonb_array_elements_text($2::jsonb)))",
                  {table.table_id, JsonList(ids), read_from_}));
    for (int i = 0; i < since.size(); ++i) {
      recorded_since[{std::string(since.Get(i, 0)), std::string(since.Get(i, 1))}] =
          json::parse(since.Get(i, 2), nullptr, false);
    }
  }

  // A proxied write's answer: the columns (and junction fields) a Postgres
  // change sent since the request left. That write reached Airtable after
  // the proxied one (the route flipped meanwhile), so it is the later one.
  std::set<std::pair<int64_t, std::string>> sent_since;
  if (!sent_at_.empty()) {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows sent,
        conn.Exec("SELECT o.row_id, coalesce(o.field_id, c) FROM airpg.outbox o LEFT JOIN "
                  "unnest(o.changed_columns) c ON o.field_id IS NULL WHERE o.table_id = $1 AND "
                  "o.status = 'done' AND o.done_at > $3::timestamptz AND o.row_id = "
                  "ANY(ARRAY(SELECT jsonb_array_elements_text($2::jsonb)::bigint))",
                  {table.table_id, JsonList(row_ids), sent_at_}));
    for (int i = 0; i < sent.size(); ++i) {
      if (sent.IsNull(i, 1)) continue;
      sent_since.emplace(std::stoll(std::string(sent.Get(i, 0))), std::string(sent.Get(i, 1)));
    }
  }

  std::vector<const airtable::Record*> out;
  for (const airtable::Record* record : records) {
    auto row = row_of.find(record->id);
    if (row == row_of.end()) {
      out.push_back(record);
      continue;
    }
    const int64_t row_id = row->second.id;
    SyncTime modified{};
    if (!table.modified_time_field_id.empty()) {
      if (auto cell = record->Cell(table.modified_time_field_id)) {
        json t = json::parse(*cell, nullptr, false);
        if (t.is_string()) modified = ParseSyncTime(t.get<std::string>());
      }
    }
    if (modified == SyncTime{}) {
      if (auto at = changes.changed_at.find(record->id); at != changes.changed_at.end()) {
        modified = ParseSyncTime(at->second);
      }
    }
    std::map<std::string, std::string> keep;  // field id → Postgres's cell
    for (size_t k = 0; k < fields.size(); ++k) {
      const mapping::FieldPlan& f = *fields[k];
      const Authority authority = policy.Of(f.field.id);
      if (resolving_ == record->id + "/" + f.field.id) continue;
      const std::string& pg_cell = row->second.cells[k];
      const std::string airtable_cell = CanonicalAirtableCell(f, record->Cell(f.field.id));
      auto change = pending_at.find({row_id, ByField(f) ? f.field.id : f.column_name});
      const bool postgres_pending = change != pending_at.end();
      // Postgres's value as the cell the apply writes back (collaborators
      // with the names airpg.users holds).
      auto keep_postgres = [&]() -> Status {
        if (!IsRelationField(f)) {
          keep[f.field.id] = pg_cell;
          return Status::Ok();
        }
        AIRPG_ASSIGN_OR_RETURN(keep[f.field.id], RelationAirtableCell(conn, f, pg_cell));
        return Status::Ok();
      };
      if (airtable_cell != pg_cell &&
          sent_since.count({row_id, ByField(f) ? f.field.id : f.column_name})) {
        // An older proxied answer than a Postgres write sent since (above).
        AIRPG_RETURN_IF_ERROR(keep_postgres());
        continue;
      }
      if (auto r = recorded_since.find({record->id, f.field.id});
          r != recorded_since.end() && json::parse(airtable_cell, nullptr, false) != r->second) {
        // A stale read (see the header): airpg's own older value, not an edit.
        if (airtable_cell != pg_cell) AIRPG_RETURN_IF_ERROR(keep_postgres());
        continue;
      }
      if (echo_ && IsRelationField(f)) {
        // Airtable's links after airpg's own write (an answer, or a record
        // on the other side of a link it moved): Airtable's state, taken as
        // it is, as before links were decided; both sides hold it now.
        agreed_.emplace_back(table.table_id, record->id, f.field.id, airtable_cell);
        continue;
      }
      if (echo_ && postgres_pending && airtable_cell != pg_cell) {
        // airpg's own answer, older than a Postgres change made since it
        // was claimed: that change is pending and sends the newer value.
        AIRPG_RETURN_IF_ERROR(keep_postgres());
        continue;
      }
      if (postgres_pending && airtable_cell != pg_cell && !IsRelationField(f) &&
          own_value(f, change->second, airtable_cell)) {
        // Airtable holds a value the pending changes wrote: a send of them
        // landed before its outcome was recorded (or its answer was lost).
        // airpg's own write, not an edit: it is the base now, and Postgres's
        // newer value goes across with the pending change.
        agreed_.emplace_back(table.table_id, record->id, f.field.id, airtable_cell);
        AIRPG_RETURN_IF_ERROR(keep_postgres());
        continue;
      }
      if (!postgres_pending && airtable_cell != pg_cell && open.count({record->id, f.field.id})) {
        AIRPG_RETURN_IF_ERROR(keep_postgres());
        continue;
      }
      if (!sent_at_.empty() && airtable_cell != pg_cell) {
        // A write serve proxied (sync/proxied_writes.h) is no Airtable edit:
        // its answer is what Airtable holds, the field's base now. A Postgres
        // change still pending was made after it left (the proxy sends the
        // table's queued changes first): Postgres keeps it, and it goes across.
        agreed_.emplace_back(table.table_id, record->id, f.field.id, airtable_cell);
        if (postgres_pending) AIRPG_RETURN_IF_ERROR(keep_postgres());
        continue;
      }
      if (!postgres_pending && authority == Authority::kBoth) {
        agreed_.emplace_back(table.table_id, record->id, f.field.id, airtable_cell);
        continue;
      }
      // A field not synced since the migration: its base is what Postgres
      // held before its pending change, or holds now when it has none.
      // A relation's is rebuilt from the changes; without one, Airtable's value.
      std::string base_cell = pg_cell;
      if (postgres_pending && !IsRelationField(f)) {
        base_cell = CanonicalColumnJson(f, change->second.before);
      } else if (postgres_pending) {
        AIRPG_ASSIGN_OR_RETURN(std::optional<std::string> before,
                               RelationBefore(conn, *base_, f, row_id, change->second.ids));
        base_cell = before.value_or(airtable_cell);
      }
      AIRPG_RETURN_IF_ERROR(
          SeedSynced(conn, base_->base_id, table.table_id, record->id, f.field.id, base_cell));
      FieldChange fc{base_->base_id, table.table_id,
                     record->id,     f.field.id,
                     airtable_cell,  pg_cell,
                     modified,       postgres_pending ? change->second.committed : SyncTime{}};
      AIRPG_ASSIGN_OR_RETURN(FieldDecision decision,
                             ResolveFieldChange(tx, fc, {authority, policy.conflict}));
      switch (decision.action) {
        case FieldAction::kNone:
          break;
        case FieldAction::kToPostgres:
          agreed_.emplace_back(table.table_id, record->id, f.field.id, airtable_cell);
          if (postgres_pending && IsRelationField(f)) airtable_won_.emplace(record->id, f.field.id);
          break;
        case FieldAction::kToAirtable:
          AIRPG_RETURN_IF_ERROR(keep_postgres());
          // A pending change sends it; else Airtable's edit is overwritten.
          if (!postgres_pending) {
            overwrite_[{table.table_id, row_id}].push_back(ByField(f) ? f.field.id : f.column_name);
          }
          break;
        case FieldAction::kPark:
          AIRPG_RETURN_IF_ERROR(keep_postgres());
          break;
      }
    }
    if (keep.empty()) {
      out.push_back(record);
    } else {
      owned_.push_back(WithCells(*record, keep));
      out.push_back(&owned_.back());
    }
  }
  return out;
}

Status InboundConflicts::Finish(pg::Transaction& tx) {
  for (const auto& [table_id, record_id, field_id, value] : agreed_) {
    AIRPG_RETURN_IF_ERROR(
        RecordSynced(tx.connection(), base_->base_id, table_id, record_id, field_id, value));
  }
  for (const auto& [key, names] : overwrite_) {
    OutboxChange change;
    change.table_id = key.first;
    change.row_id = key.second;
    // Columns of the row in one change; a junction field in one of its own.
    std::vector<std::string> columns;
    for (const auto& name : names) {
      if (name.rfind("fld", 0) != 0) {
        columns.push_back(name);
        continue;
      }
      OutboxChange field = change;
      field.field_id = name;
      AIRPG_RETURN_IF_ERROR(
          QueueFollowUp(tx, base_->base_id, field, {}, std::chrono::milliseconds(0)));
    }
    if (columns.empty()) continue;
    AIRPG_RETURN_IF_ERROR(
        QueueFollowUp(tx, base_->base_id, change, columns, std::chrono::milliseconds(0)));
  }
  agreed_.clear();
  overwrite_.clear();
  return Status::Ok();
}

}  // namespace airpg::sync
