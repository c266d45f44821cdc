#include "sync/delete_sweep.h"

#include <fmt/core.h>

#include <unordered_set>

#include "base/log.h"
#include "base/sql_identifier.h"
#include "pg/transaction.h"
#include "sync/iso_time.h"
#include "sync/record_reader.h"
#include "sync/sync_events.h"

namespace airpg::sync {

Result<SweepResult> SweepTable(airtable::Client& client, pg::Connection& conn,
                               RecordApplier& applier, const LiveBase& base,
                               const std::string& table_id, const SweepOptions& options) {
  const mapping::TablePlan* table = base.plan.FindTable(table_id);
  if (table == nullptr) return NotFoundError(fmt::format("table {} is not synced", table_id));
  AIRPG_ASSIGN_OR_RETURN(pg::Rows clock, conn.Exec("SELECT now()::text"));
  const std::string started(clock.Get(0, 0));

  SweepResult result;
  std::unordered_set<std::string> listed;
  airtable::ListOptions list;
  list.return_fields_by_field_id = true;
  list.fields = {table->primary_field_id};
  airtable::RecordPager pager = client.ListRecords(base.base_id, table_id, list, options.priority);
  for (;;) {
    AIRPG_ASSIGN_OR_RETURN(auto page, pager.Next());
    if (!page) break;  // the pager knew it was done: no request
    ++result.requests;
    for (const auto& r : page->records) listed.insert(r.id);
    for (const auto& m : page->malformed) listed.insert(m.record_id);  // listed, not deleted
  }
  result.listed = static_cast<int64_t>(listed.size());

  // A plain read, no transaction: the tombstones and their follow-up reads
  // go through ApplyAndCount, which reads before it locks.
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows live,
      conn.Exec(
          fmt::format("SELECT airtable_id FROM {} WHERE deleted_at IS NULL AND airtable_id IS "
                      "NOT NULL AND airpg_synced_at < $1::timestamptz",
                      QualifiedName(base.schema, table->table_name)),
          {started}));
  result.live = live.size();
  ChangeBatch batch;
  batch.source = "sweep";
  for (int i = 0; i < live.size(); ++i) {
    std::string id(live.Get(i, 0));
    if (!listed.count(id)) batch.Table(table_id).destroyed.push_back(std::move(id));
  }
  result.missing = batch.empty() ? 0 : static_cast<int64_t>(batch.tables[0].destroyed.size());
  result.held =
      !options.release && result.live > 0 && result.missing > options.min_held &&
      static_cast<double>(result.missing) / static_cast<double>(result.live) > options.max_share;
  std::string detail = fmt::format(R"({{"listed":{},"live":{},"missing":{},"max_share":{}}})",
                                   result.listed, result.live, result.missing, options.max_share);
  if (result.held) {
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
    AIRPG_RETURN_IF_ERROR(
        tx.Run("INSERT INTO airpg.sync_tables (table_id, base_id, held_deletes, last_sweep_at) "
               "VALUES ($1, $2, $3::jsonb, now()) ON CONFLICT (table_id) DO UPDATE SET "
               "held_deletes = EXCLUDED.held_deletes, last_sweep_at = now()",
               {table_id, base.base_id, detail}));
    AIRPG_RETURN_IF_ERROR(
        RecordEvent(tx.connection(), {base.base_id, table_id, "delete_held", result.missing,
                                      result.requests, std::nullopt, detail}));
    AIRPG_RETURN_IF_ERROR(tx.Commit());
    log::Warn(
        "base {}: the delete sweep of {} held back {} deletes of {} rows (more than {:.0f}% and "
        "more than {}): check the token's access, then apply them with `airpg sync "
        "release-deletes {}`",
        base.base_id, table->table_name, result.missing, result.live, options.max_share * 100,
        options.min_held, table->table_name);
    return result;
  }
  const bool any = !batch.empty();
  auto finish = [&](pg::Transaction& tx) -> Status {
    if (any) {
      AIRPG_RETURN_IF_ERROR(RecordEvent(
          tx.connection(), {base.base_id, table_id, options.release ? "deletes_released" : "sweep",
                            result.applied.tombstoned, result.requests, std::nullopt, detail}));
    }
    return tx.Run(
        "INSERT INTO airpg.sync_tables (table_id, base_id, last_sweep_at) VALUES ($1, $2, now()) "
        "ON CONFLICT (table_id) DO UPDATE SET last_sweep_at = now(), held_deletes = NULL",
        {table_id, base.base_id});
  };
  AIRPG_RETURN_IF_ERROR(ApplyAndCount(client, conn, applier, std::move(batch), base.base_id,
                                      options.priority, result.applied, result.requests, finish));
  return result;
}

namespace {

std::string Names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace

Result<std::vector<HeldDeletes>> ListHeldDeletes(pg::Connection& conn, const std::string& base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec(fmt::format("SELECT s.table_id, t.table_name, s.held_deletes ->> 'missing', "
                            "s.held_deletes ->> 'live', {} FROM airpg.sync_tables s JOIN "
                            "airpg.tables t USING (table_id) WHERE s.base_id = $1 AND "
                            "s.held_deletes IS NOT NULL ORDER BY t.table_name",
                            IsoTimeSql("s.last_sweep_at")),
                {base_id}));
  std::vector<HeldDeletes> out;
  for (int i = 0; i < rows.size(); ++i) {
    auto number = [&](int c) {
      return rows.IsNull(i, c) ? int64_t{0} : std::stoll(std::string(rows.Get(i, c)));
    };
    out.push_back({std::string(rows.Get(i, 0)), std::string(rows.Get(i, 1)), number(2), number(3),
                   std::string(rows.Get(i, 4))});
  }
  return out;
}

Result<SweepResult> ReleaseHeldDeletes(airtable::Client& client, pg::Connection& conn,
                                       RecordApplier& applier, const LiveBase& base,
                                       const std::string& table, SweepOptions options) {
  const mapping::TablePlan* plan = nullptr;
  std::vector<std::string> known;
  for (const auto& t : base.plan.tables) {
    if (t.table_id == table || t.airtable_name == table || t.table_name == table) plan = &t;
    known.push_back(t.table_name);
  }
  if (plan == nullptr) {
    return InvalidArgumentError(
        fmt::format("base {} has no table {} (it has: {})", base.base_id, table, Names(known)));
  }
  AIRPG_ASSIGN_OR_RETURN(std::vector<HeldDeletes> held, ListHeldDeletes(conn, base.base_id));
  std::vector<std::string> holding;
  bool found = false;
  for (const auto& h : held) {
    holding.push_back(h.table_name);
    found = found || h.table_id == plan->table_id;
  }
  if (!found) {
    return InvalidArgumentError(
        fmt::format("table {} has no held delete sweep (tables with one: {})", plan->table_name,
                    Names(holding)));
  }
  options.release = true;
  return SweepTable(client, conn, applier, base, plan->table_id, options);
}

}  // namespace airpg::sync
