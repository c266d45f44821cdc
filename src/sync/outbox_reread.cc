#include "sync/outbox_reread.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/log.h"
#include "pg/transaction.h"
#include "pg/write_marks.h"
#include "sync/canonical_cells.h"
#include "sync/conflicts.h"
#include "sync/relation_values.h"
#include "sync/sync_events.h"

namespace airpg::sync {
namespace {

using nlohmann::json;
// Records read per request: one page of a list (at most 100), so a round's
// updates of a table (claim.max_records, 100 by default) cost one read —
// a tenth of their write requests — and the formula stays a few kB.
constexpr size_t kBatch = 100;

// Record ids are Airtable's (rec + letters and digits); anything else is
// never put into a formula.
bool PlainRecordId(const std::string& id) {
  return id.size() > 3 && id.rfind("rec", 0) == 0 &&
         std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(c) != 0; });
}

std::string IdArray(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

SyncTime FromEpoch(std::string_view seconds) {
  return SyncTime{} + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                          std::chrono::duration<double>(std::stod(std::string(seconds))));
}

// When the record's claimed changes were committed, and each changed column's
// value before the first of them (the value both sides held, for a field
// never synced since the migration).
struct Pending {
  std::map<int64_t, SyncTime> committed;                          // row id →
  std::map<std::pair<int64_t, std::string>, std::string> before;  // row id, column → JSON
  // Every value the claimed changes wrote to a column (row id, column → JSON
  // texts): a send of them whose answer was lost may have landed.
  std::map<std::pair<int64_t, std::string>, std::set<std::string>> written;
};

Result<Pending> ReadPending(pg::Connection& conn, const std::vector<RereadUpdate*>& batch) {
  std::vector<int64_t> ids;
  for (const RereadUpdate* u : batch)
    ids.insert(ids.end(), u->outbox_ids.begin(), u->outbox_ids.end());
  Pending out;
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows times,
      conn.Exec("SELECT row_id, extract(epoch FROM max(created_at))::text FROM airpg.outbox "
                "WHERE outbox_id = ANY($1::bigint[]) GROUP BY row_id",
                {IdArray(ids)}));
  for (int i = 0; i < times.size(); ++i) {
    out.committed[std::stoll(std::string(times.Get(i, 0)))] = FromEpoch(times.Get(i, 1));
  }
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows before,
      conn.Exec("SELECT o.row_id, c, ((array_agg(o.old_row -> c ORDER BY o.outbox_id))[1])::text "
                "FROM airpg.outbox o, unnest(o.changed_columns) c WHERE o.outbox_id = "
                "ANY($1::bigint[]) AND o.field_id IS NULL AND o.old_row IS NOT NULL GROUP BY "
                "o.row_id, c",
                {IdArray(ids)}));
  for (int i = 0; i < before.size(); ++i) {
    if (before.IsNull(i, 2)) continue;
    out.before[{std::stoll(std::string(before.Get(i, 0))), std::string(before.Get(i, 1))}] =
        std::string(before.Get(i, 2));
  }
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows written,
      conn.Exec("SELECT o.row_id, c, (o.new_row -> c)::text FROM airpg.outbox o, "
                "unnest(o.changed_columns) c WHERE o.outbox_id = ANY($1::bigint[]) AND "
                "o.field_id IS NULL AND o.new_row IS NOT NULL",
                {IdArray(ids)}));
  for (int i = 0; i < written.size(); ++i) {
    if (written.IsNull(i, 2)) continue;
    out.written[{std::stoll(std::string(written.Get(i, 0))), std::string(written.Get(i, 1))}]
        .insert(std::string(written.Get(i, 2)));
  }
  return out;
}

// What the rules leave of one field's write: true to send it.
Result<bool> DecideOne(pg::Transaction& tx, const LiveBase& base, const mapping::TablePlan& table,
                       const mapping::FieldPlan& f, const RereadUpdate& u,
                       const airtable::Record& now, const std::string& sent_cell,
                       const Pending& pending, const FieldPolicy& policy, RereadReport& report) {
  pg::Connection& conn = tx.connection();
  const std::string airtable_cell = CanonicalAirtableCell(f, now.Cell(f.field.id));
  // Relations as the cell the dispatcher built (the ids Airtable knows),
  // columns from the row, both in the inbound apply's form.
  std::string pg_cell;
  if (IsRelationField(f)) {
    pg_cell = RelationCell(f, sent_cell);
  } else {
    const json value = u.row->value(f.column_name, json());
    pg_cell = CanonicalColumnJson(f, value.dump());
  }
  if (airtable_cell == pg_cell) {
    // Airtable holds the value already: nothing to send; it is the base now.
    AIRPG_RETURN_IF_ERROR(
        RecordSynced(conn, base.base_id, table.table_id, u.record_id, f.field.id, airtable_cell));
    return false;
  }
  if (!IsRelationField(f)) {
    // Airtable holds a value these very changes wrote: an earlier send of
    // them landed though its answer was lost (a 5xx, a cut body). That is
    // Postgres's own write, not an edit in Airtable: it is the base, and the
    // row's latest value goes across.
    if (auto w = pending.written.find({u.row_id, f.column_name}); w != pending.written.end()) {
      for (const std::string& value : w->second) {
        if (CanonicalColumnJson(f, value) != airtable_cell) continue;
        AIRPG_RETURN_IF_ERROR(RecordSynced(conn, base.base_id, table.table_id, u.record_id,
                                           f.field.id, airtable_cell));
        return true;
      }
    }
  }
  // A field not synced since the migration: its base is what Postgres held
  // before its change (a relation's rebuilt from the changes); without one
  // (a follow-up), Airtable's value now, so Postgres's change goes across.
  std::string seed = airtable_cell;
  if (IsRelationField(f)) {
    AIRPG_ASSIGN_OR_RETURN(std::optional<std::string> before,
                           RelationBefore(conn, base, f, u.row_id, u.outbox_ids));
    seed = before.value_or(airtable_cell);
  } else if (auto b = pending.before.find({u.row_id, f.column_name}); b != pending.before.end()) {
    seed = CanonicalColumnJson(f, b->second);
  }
  AIRPG_RETURN_IF_ERROR(
      SeedSynced(conn, base.base_id, table.table_id, u.record_id, f.field.id, seed));
  // Normalise as ResolveFieldChange stores them, to find a clash met before.
  AIRPG_ASSIGN_OR_RETURN(pg::Rows canonical, conn.Exec("SELECT $1::jsonb::text, $2::jsonb::text",
                                                       {airtable_cell, pg_cell}));
  AIRPG_ASSIGN_OR_RETURN(
      std::optional<std::string> decided,
      DecidedClash(conn, table.table_id, u.record_id, f.field.id, std::string(canonical.Get(0, 0)),
                   std::string(canonical.Get(0, 1))));
  if (decided) return *decided == "postgres";  // decided once, where it was met first
  SyncTime airtable_modified{};
  if (!table.modified_time_field_id.empty()) {
    if (auto cell = now.Cell(table.modified_time_field_id)) {
      json t = json::parse(*cell, nullptr, false);
      if (t.is_string()) airtable_modified = ParseSyncTime(t.get<std::string>());
    }
  }
  if (airtable_modified == SyncTime{}) {
    // No modification time: Airtable's edit was before this read, which is
    // taken as its time (on Postgres's clock, as the commit times are).
    AIRPG_ASSIGN_OR_RETURN(pg::Rows clock,
                           conn.Exec("SELECT extract(epoch FROM clock_timestamp())::text"));
    airtable_modified = FromEpoch(clock.Get(0, 0));
  }
  SyncTime committed{};
  if (auto c = pending.committed.find(u.row_id); c != pending.committed.end()) {
    committed = c->second;
  }
  FieldChange change{base.base_id,  table.table_id, u.record_id,       f.field.id,
                     airtable_cell, pg_cell,        airtable_modified, committed};
  change.origin = "postgres";
  AIRPG_ASSIGN_OR_RETURN(FieldDecision decision, ResolveFieldChange(tx, change, policy));
  if (decision.conflict) ++report.conflicts;
  return decision.action == FieldAction::kToAirtable;
}

// The records of `updates` whose read cannot matter: InboundState's
// invariant (outbox_reread.h) holds for them.
Result<std::set<std::string>> NothingToRead(pg::Connection& conn, const std::string& base_id,
                                            const mapping::TablePlan& table,
                                            const InboundState& before_rows,
                                            const std::vector<RereadUpdate>& updates) {
  std::set<std::string> out;
  if (!before_rows.known || before_rows.listed_at.empty()) return out;
  // 3: nothing applied and no ping since the rows were read.
  AIRPG_ASSIGN_OR_RETURN(InboundState now, ReadInboundState(conn, base_id));
  if (!(now == before_rows)) return out;
  json pairs = json::array();
  for (const RereadUpdate& u : updates) {
    for (int64_t id : u.outbox_ids) pairs.push_back(json::array({u.record_id, id}));
  }
  // 1: listed past the newest change; 2: no ping since; 4: nothing recorded
  // for the record since its first change.
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("WITH u AS (SELECT e ->> 0 AS record_id, (e ->> 1)::bigint AS outbox_id FROM "
                "jsonb_array_elements($2::jsonb) e), c AS (SELECT u.record_id, min(o.created_at) "
                "AS first_at, max(o.created_at) AS last_at FROM u JOIN airpg.outbox o USING "
                "(outbox_id) GROUP BY u.record_id) SELECT c.record_id FROM c WHERE "
                "$3::timestamptz > c.last_at AND (nullif($4, '')::timestamptz IS NULL OR "
                "nullif($4, '')::timestamptz <= $3::timestamptz) AND NOT EXISTS (SELECT 1 FROM "
                "airpg.field_sync_state s WHERE s.table_id = $1 AND s.record_id = c.record_id "
                "AND s.synced_at >= c.first_at) AND NOT EXISTS (SELECT 1 FROM airpg.conflicts k "
                "WHERE k.table_id = $1 AND k.record_id = c.record_id AND k.created_at >= "
                "c.first_at)",
                {table.table_id, pairs.dump(), before_rows.listed_at, before_rows.last_ping_at}));
  for (int i = 0; i < rows.size(); ++i) out.emplace(rows.Get(i, 0));
  return out;
}

}  // namespace

Result<InboundState> ReadInboundState(pg::Connection& conn, const std::string& base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT coalesce(last_payload_at::text, ''), coalesce(last_ping_at::text, ''), "
                "cursor FROM airpg.sync_bases WHERE base_id = $1 AND webhook_id IS NOT NULL",
                {base_id}));
  InboundState out;
  if (rows.empty()) return out;
  out.known = true;
  out.listed_at = rows.Get(0, 0);
  out.last_ping_at = rows.Get(0, 1);
  out.cursor = std::stoll(std::string(rows.Get(0, 2)));
  return out;
}

Result<RereadReport> RereadBeforeUpdate(airtable::Client& client, pg::Connection& conn,
                                        const LiveBase& base, const mapping::TablePlan& table,
                                        const TableAuthority& authority,
                                        std::vector<RereadUpdate>& updates,
                                        const InboundState* before_rows) {
  const auto began = std::chrono::steady_clock::now();
  RereadReport report;
  std::set<std::string> unread;
  if (before_rows != nullptr) {
    AIRPG_ASSIGN_OR_RETURN(unread, NothingToRead(conn, base.base_id, table, *before_rows, updates));
  }
  // The records to read, in pages of up to kBatch.
  std::vector<RereadUpdate*> to_read;
  for (RereadUpdate& u : updates) {
    if (unread.count(u.record_id)) {
      ++report.skipped;
    } else {
      to_read.push_back(&u);
    }
  }
  for (size_t start = 0; start < to_read.size(); start += kBatch) {
    std::vector<RereadUpdate*> batch;
    std::set<std::string> field_ids;
    std::vector<std::string> formula;
    for (size_t i = start; i < std::min(to_read.size(), start + kBatch); ++i) {
      RereadUpdate& u = *to_read[i];
      bool checked = false;
      for (const auto& [field_id, cell] : u.write->fields) {
        const mapping::FieldPlan* f = table.FindField(field_id);
        if (f == nullptr || !DecidedPerField(*f) ||
            authority.Of(field_id) == Authority::kAirtable) {
          continue;
        }
        field_ids.insert(field_id);
        checked = true;
      }
      if (!checked || !PlainRecordId(u.record_id)) continue;
      batch.push_back(&u);
      formula.push_back(fmt::format("RECORD_ID()='{}'", u.record_id));
    }
    if (batch.empty()) continue;
    airtable::ListOptions options;
    options.fields.assign(field_ids.begin(), field_ids.end());
    if (!table.modified_time_field_id.empty()) {
      options.fields.push_back(table.modified_time_field_id);
    }
    std::string any;
    for (const auto& term : formula) any += (any.empty() ? "" : ",") + term;
    options.filter_by_formula = "OR(" + any + ")";
    options.return_fields_by_field_id = true;
    // Taken before the read: a base recorded after it (the inbound apply of
    // a newer Airtable edit) may be newer than what the read returns.
    AIRPG_ASSIGN_OR_RETURN(pg::Rows clock, conn.Exec("SELECT clock_timestamp()::text"));
    ++report.requests;
    Result<airtable::RecordPage> page =
        client.ListPage(base.base_id, table.table_id, options, "", airtable::Priority::kWrite);
    const StatusCode code = page.status().code();
    if (code == StatusCode::kUnauthenticated || code == StatusCode::kPermissionDenied) {
      report.refused = page.status();
      return report;
    }
    if (!page.ok()) {
      // Not sent blind: the changes wait for a read that succeeds.
      for (RereadUpdate* u : batch) {
        u->deferred = true;
        u->deferred_reason = "read before write: " + page.status().ToString();
      }
      continue;
    }
    std::map<std::string, const airtable::Record*> current;
    for (const auto& r : page->records) current[r.id] = &r;
    std::vector<std::string> record_ids;
    for (const RereadUpdate* u : batch) record_ids.push_back(u->record_id);
    // A write serve proxied whose answer is not the base yet (asked after
    // the read, before the bases): the read may show its value, which is no
    // Airtable edit. The record waits for the answer.
    AIRPG_ASSIGN_OR_RETURN(
        std::set<std::string> proxied,
        pg::MarkedRecords(conn, pg::WriteSource::kServeProxy, table.table_id, record_ids));
    for (RereadUpdate* u : batch) {
      if (!proxied.count(u->record_id)) continue;
      u->deferred = true;
      u->deferred_reason = "read before write: a write proxied to Airtable is on its way";
    }
    AIRPG_ASSIGN_OR_RETURN(Pending pending, ReadPending(conn, batch));
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows since,
        conn.Exec("SELECT record_id, field_id, value::text FROM airpg.field_sync_state WHERE "
                  "table_id = $1 AND synced_at > $3::timestamptz AND record_id = "
                  "ANY(ARRAY(SELECT jsonb_array_elements_text($2::jsonb)))",
                  {table.table_id, json(record_ids).dump(), std::string(clock.Get(0, 0))}));
    std::map<std::pair<std::string, std::string>, json> recorded_since;
    for (int i = 0; i < since.size(); ++i) {
      recorded_since[{std::string(since.Get(i, 0)), std::string(since.Get(i, 1))}] =
          json::parse(since.Get(i, 2), nullptr, false);
    }
    for (RereadUpdate* u : batch) {
      auto now = current.find(u->record_id);
      if (now == current.end()) continue;  // gone in Airtable: the write's 404 says so
      // A base recorded since the read that the read does not show: the read
      // is older than it, so it cannot tell what Airtable holds. Read again.
      for (const auto& [field_id, cell] : u->write->fields) {
        auto r = recorded_since.find({u->record_id, field_id});
        const mapping::FieldPlan* f = table.FindField(field_id);
        if (r == recorded_since.end() || f == nullptr) continue;
        if (json::parse(CanonicalAirtableCell(*f, now->second->Cell(field_id)), nullptr, false) ==
            r->second) {
          continue;
        }
        u->deferred = true;
        u->deferred_reason = "read before write: older than a value synced since";
      }
      if (u->deferred) continue;
      AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
      std::set<std::string> held;
      for (const auto& [field_id, cell] : u->write->fields) {
        if (!field_ids.count(field_id)) continue;
        const mapping::FieldPlan& f = *table.FindField(field_id);
        FieldPolicy policy{authority.Of(field_id), authority.conflict};
        AIRPG_ASSIGN_OR_RETURN(bool send, DecideOne(tx, base, table, f, *u, *now->second, cell,
                                                    pending, policy, report));
        if (!send) held.insert(field_id);
      }
      AIRPG_RETURN_IF_ERROR(tx.Commit());
      report.held += static_cast<int64_t>(held.size());
      std::erase_if(u->write->fields, [&](const auto& cell) { return held.count(cell.first) > 0; });
    }
  }
  if (report.requests > 0 || report.skipped > 0) {
    // What the reads cost the base's budget, beside the pushes they precede.
    AIRPG_RETURN_IF_ERROR(RecordEvent(
        conn, {base.base_id, table.table_id, "outbox_read",
               static_cast<int64_t>(updates.size()) - report.skipped, report.requests, std::nullopt,
               json{{"skipped", report.skipped},
                    {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - began)
                               .count()}}
                   .dump()}));
  }
  return report;
}

Status RecordSentValues(pg::Transaction& tx, const LiveBase& base, const mapping::TablePlan& table,
                        const airtable::RecordWrite& write, const airtable::Record& answer) {
  for (const auto& [field_id, cell] : write.fields) {
    const mapping::FieldPlan* f = table.FindField(field_id);
    if (f == nullptr || !DecidedPerField(*f)) continue;
    AIRPG_RETURN_IF_ERROR(RecordSynced(tx.connection(), base.base_id, table.table_id, answer.id,
                                       field_id, CanonicalAirtableCell(*f, answer.Cell(field_id))));
  }
  return Status::Ok();
}

}  // namespace airpg::sync
