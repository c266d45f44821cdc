#include "sync/inbound_conflicts.h"

#include <fmt/core.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "base/sql_identifier.h"
#include "mapping/cell_value.h"
#include "pg/quote.h"
#include "sync/conflicts.h"
#include "sync/outbox_cells.h"
#include "sync/outbox_store.h"

namespace airpg::sync {
namespace {

using nlohmann::json;

// "2024-01-02T03:04:05.678Z" → a time point; the epoch when unreadable (the
// rule `latest` then counts Airtable's side as the older one).
SyncTime ParseIso(std::string_view text) {
  std::tm tm{};
  double seconds = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%lf", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &seconds) != 6) {
    return SyncTime{};
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_sec = 0;
  auto whole = std::chrono::system_clock::from_time_t(timegm(&tm));
  return whole + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                     std::chrono::duration<double>(seconds));
}

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

// The fields decided here: plain columns (links, collaborators and
// attachments are relations, sent whole by the dispatcher).
bool Decided(const mapping::FieldPlan& f) {
  using mapping::Storage;
  const Storage s = f.column.storage;
  return f.HasColumn() && WritableField(f) &&
         (s == Storage::kColumn || s == Storage::kChoice || s == Storage::kChoiceArray);
}

// A column value → the cell in one canonical form ("null" for empty), so
// both sides compare alike: Airtable omits false and empty cells, and
// Postgres keeps a numeric's scale.
std::string Canonical(const mapping::FieldPlan& f, const mapping::PgValue& value) {
  Result<std::optional<std::string>> cell = mapping::PgToCell(f.field, f.column, value);
  if (!cell.ok() || !*cell || **cell == "false" || **cell == "\"\"" || **cell == "[]") {
    return "null";
  }
  return **cell;
}

// A column's value as Postgres prints it, canonical.
std::string CanonicalCell(const mapping::FieldPlan& f, std::optional<std::string_view> text) {
  mapping::PgValue value;
  if (text) {
    if (f.column.sql_type.ends_with("[]")) {
      auto items = pg::ParseArray(*text);
      if (!items.ok()) return "null";
      value = mapping::PgValue::Array(std::move(items).value());
    } else {
      value = mapping::PgValue::Scalar(std::string(*text));
    }
  }
  return Canonical(f, value);
}

// A column's value as to_jsonb printed it (an outbox row's old_row), canonical.
std::string CanonicalJson(const mapping::FieldPlan& f, const std::optional<std::string>& text) {
  if (!text) return "null";
  json v = json::parse(*text, nullptr, false);
  if (v.is_discarded() || v.is_null()) return "null";
  if (v.is_array()) {
    std::vector<std::optional<std::string>> items;
    for (const auto& item : v) {
      items.push_back(item.is_string() ? std::optional(item.get<std::string>())
                                       : std::optional(item.dump()));
    }
    return Canonical(f, mapping::PgValue::Array(std::move(items)));
  }
  if (v.is_boolean()) return Canonical(f, mapping::PgValue::Scalar(v.get<bool>() ? "t" : "f"));
  if (v.is_string()) return Canonical(f, mapping::PgValue::Scalar(v.get<std::string>()));
  return Canonical(f, mapping::PgValue::Scalar(v.dump()));
}

// Airtable's cell in the same form: through the column value it maps to.
// The loader's text of some values is not Postgres's print (date-times):
// when that does not convert back, Airtable's cell is its own canonical form
// (the form PgToCell gives for Postgres's print of them).
std::string CanonicalAirtableCell(const mapping::FieldPlan& f,
                                  std::optional<std::string_view> cell) {
  if (!cell) return "null";
  Result<mapping::PgValue> value = mapping::CellToPg(f.field, f.column, cell);
  if (!value.ok()) return std::string(*cell);  // not representable: it differs
  if (value->is_null) return "null";
  Result<std::optional<std::string>> back = mapping::PgToCell(f.field, f.column, *value);
  if (!back.ok() || !*back) return std::string(*cell);
  return Canonical(f, *value);
}

}  // namespace

Result<InboundConflicts> InboundConflicts::Load(pg::Transaction& tx, const LiveBase& base) {
  AIRPG_ASSIGN_OR_RETURN(auto authority, LoadAuthority(tx.connection(), base.base_id));
  InboundConflicts out(base, std::move(authority));
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
    if (policy.Of(f.field.id) == Authority::kAirtable || !Decided(f)) continue;
    fields.push_back(&f);
    columns += fmt::format(", t.{}::text", QuoteIdentifier(f.column_name));
  }
  if (fields.empty()) return records;
  // The rows as Postgres holds them now (records without one are new: nothing to decide).
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec(fmt::format("SELECT t.airtable_id, t.id{} FROM {} t WHERE t.airtable_id = "
                            "ANY(ARRAY(SELECT jsonb_array_elements_text($1::jsonb)))",
                            columns, QualifiedName(base_->schema, table.table_name)),
                {JsonList(ids)}));
  struct Row {
    int64_t id = 0;
    std::vector<std::string> cells;  // canonical, one per field of `fields`
  };
  std::map<std::string, Row> row_of;
  std::vector<std::string> row_ids;
  for (int i = 0; i < rows.size(); ++i) {
    Row& row = row_of[std::string(rows.Get(i, 0))];
    row.id = std::stoll(std::string(rows.Get(i, 1)));
    for (size_t k = 0; k < fields.size(); ++k) {
      const int c = static_cast<int>(k) + 2;
      row.cells.push_back(CanonicalCell(
          *fields[k], rows.IsNull(i, c) ? std::nullopt : std::optional(rows.Get(i, c))));
    }
    row_ids.emplace_back(rows.Get(i, 1));
  }
  // Columns with a Postgres change not sent yet, when it was committed, and
  // the column's value before the first of them (both sides held it).
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows pending,
      conn.Exec("SELECT o.row_id, c, extract(epoch FROM max(o.created_at))::text, "
                "((array_agg(o.old_row -> c ORDER BY o.outbox_id))[1])::text FROM "
                "airpg.outbox o, unnest(o.changed_columns) c WHERE o.table_id = $1 AND o.status "
                "= 'pending' AND o.field_id IS NULL AND o.row_id = ANY(ARRAY(SELECT "
                "jsonb_array_elements_text($2::jsonb)::bigint)) GROUP BY o.row_id, c",
                {table.table_id, JsonList(row_ids)}));
  struct Pending {
    SyncTime committed;
    std::optional<std::string> before;
  };
  std::map<std::pair<int64_t, std::string>, Pending> pending_at;
  for (int i = 0; i < pending.size(); ++i) {
    pending_at[{std::stoll(std::string(pending.Get(i, 0))), std::string(pending.Get(i, 1))}] = {
        FromEpoch(pending.Get(i, 2)),
        pending.IsNull(i, 3) ? std::nullopt : std::optional<std::string>(pending.Get(i, 3))};
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
        if (t.is_string()) modified = ParseIso(t.get<std::string>());
      }
    }
    if (modified == SyncTime{}) {
      if (auto at = changes.changed_at.find(record->id); at != changes.changed_at.end()) {
        modified = ParseIso(at->second);
      }
    }
    std::map<std::string, std::string> keep;  // field id → Postgres's cell
    for (size_t k = 0; k < fields.size(); ++k) {
      const mapping::FieldPlan& f = *fields[k];
      const Authority authority = policy.Of(f.field.id);
      if (resolving_ == record->id + "/" + f.field.id) continue;
      const std::string& pg_cell = row->second.cells[k];
      const std::string airtable_cell = CanonicalAirtableCell(f, record->Cell(f.field.id));
      auto change = pending_at.find({row_id, f.column_name});
      const bool postgres_pending = change != pending_at.end();
      if (echo_ && postgres_pending && airtable_cell != pg_cell) {
        // airpg's own answer, older than a Postgres change made since it
        // was claimed: that change is pending and sends the newer value.
        keep[f.field.id] = pg_cell;
        continue;
      }
      if (!postgres_pending && authority == Authority::kBoth) {
        agreed_.emplace_back(table.table_id, record->id, f.field.id, airtable_cell);
        continue;
      }
      // A field not synced since the migration: its base is what Postgres
      // held before its pending change, or holds now when it has none.
      std::string base_cell = pg_cell;
      if (postgres_pending) base_cell = CanonicalJson(f, change->second.before);
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
          break;
        case FieldAction::kToAirtable:
          keep[f.field.id] = pg_cell;
          // A pending change sends it; else Airtable's edit is overwritten.
          if (!postgres_pending) overwrite_[{table.table_id, row_id}].push_back(f.column_name);
          break;
        case FieldAction::kPark:
          keep[f.field.id] = pg_cell;
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
  for (const auto& [key, columns] : overwrite_) {
    OutboxChange change;
    change.table_id = key.first;
    change.row_id = key.second;
    AIRPG_RETURN_IF_ERROR(
        QueueFollowUp(tx, base_->base_id, change, columns, std::chrono::milliseconds(0)));
  }
  agreed_.clear();
  overwrite_.clear();
  return Status::Ok();
}

}  // namespace airpg::sync
