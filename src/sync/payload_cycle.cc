#include "sync/payload_cycle.h"

#include <fmt/core.h>

#include <vector>

#include "base/log.h"
#include "pg/transaction.h"
#include "pg/write_marks.h"
#include "sync/dead_letters.h"
#include "sync/record_reader.h"
#include "sync/schema_sync.h"
#include "sync/sync_events.h"

namespace airpg::sync {

Result<PayloadCycleResult> RunPayloadCycle(airtable::Client& client, pg::Connection& conn,
                                           RecordApplier& applier, const LiveBase& base,
                                           const PayloadCycleOptions& options) {
  PayloadCycleResult result;
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows row, conn.Exec("SELECT webhook_id, cursor FROM airpg.sync_bases WHERE base_id = $1 "
                              "AND webhook_id IS NOT NULL",
                              {base.base_id}));
  if (row.empty()) {
    return FailedPreconditionError(
        fmt::format("base {} has no webhook of airpg's yet", base.base_id));
  }
  const std::string webhook_id(row.Get(0, 0));
  const int64_t start = std::stoll(std::string(row.Get(0, 1)));

  // The window: every payload from the cursor on, up to the page cap, and
  // never past a schema change the live schema has not had (below).
  // When the listing began (Postgres's clock, as the outbox's): once every
  // payload listed up to the end is applied, Postgres has every edit
  // Airtable made before it (sync_bases.last_payload_at; outbox_reread.h).
  AIRPG_ASSIGN_OR_RETURN(pg::Rows listed, conn.Exec("SELECT clock_timestamp()::text"));
  const std::string listed_at(listed.Get(0, 0));
  TouchedRecords changed, destroyed;
  std::map<std::string, std::map<std::string, std::string, std::less<>>> changed_at;  // by table
  std::map<std::string, std::map<std::string, std::string, std::less<>>> destroyed_at;
  std::vector<airtable::Payload> unreadable;
  int64_t cursor = start;
  bool cut = false;
  for (int page = 0; page < options.max_payload_pages && !cut; ++page) {
    AIRPG_ASSIGN_OR_RETURN(airtable::PayloadPage payloads,
                           client.ListPayloads(base.base_id, webhook_id, cursor));
    ++result.requests;
    for (const auto& p : payloads.payloads) {
      // One that cannot be read may have changed the schema: it is taken
      // as if it had (a refresh costs one request).
      const bool readable = p.unreadable.empty();
      if ((!readable || PayloadChangesSchema(p)) && p.number >= options.schema_read_after) {
        if (options.schema_read_after <= start) {
          // Nothing of the window is covered yet: one refresh for all of it.
          // Every payload listed so far existed before the refresh reads the
          // schema, so the refresh covers all of them.
          result.needs_schema_refresh = true;
          result.listed_to = payloads.cursor;
          result.payloads = 0;
          return result;
        }
        // Made while the schema was being read: the window ends before it,
        // and the next cycle starts at it (and refreshes again).
        cursor = p.number;
        result.more = true;
        cut = true;
        break;
      }
      ++result.payloads;
      if (!readable) {
        unreadable.push_back(p);
        continue;
      }
      if (p.error) result.hook_failed = true;
      for (const auto& t : p.tables) {
        for (const auto& r : t.created_records) changed[t.table_id].insert(r.record_id);
        for (const auto& r : t.changed_records) changed[t.table_id].insert(r.record_id);
        // Payloads come in order: the last one to name a record is its latest change.
        for (const auto& r : t.created_records) changed_at[t.table_id][r.record_id] = p.timestamp;
        for (const auto& r : t.changed_records) changed_at[t.table_id][r.record_id] = p.timestamp;
        for (const auto& id : t.destroyed_record_ids) destroyed[t.table_id].insert(id);
        // Airtable's time of the delete (deleted_records.h, under `latest`).
        for (const auto& id : t.destroyed_record_ids) destroyed_at[t.table_id][id] = p.timestamp;
      }
    }
    if (cut) break;
    cursor = payloads.cursor;
    result.more = payloads.might_have_more;
    if (!payloads.might_have_more) break;
  }
  result.cursor = start;
  if (result.payloads == 0) {
    if (!result.more && !result.needs_schema_refresh) {
      AIRPG_RETURN_IF_ERROR(conn.Run(
          "UPDATE airpg.sync_bases SET last_payload_at = $2::timestamptz WHERE base_id = $1 AND "
          "cursor = $3::bigint AND (last_payload_at IS NULL OR last_payload_at < $2::timestamptz)",
          {base.base_id, listed_at, std::to_string(start)}));
    }
    return result;
  }

  // Record ids are never reused: a destroyed record is only destroyed.
  for (auto& [table, ids] : destroyed) {
    for (const auto& id : ids) changed[table].erase(id);
  }
  for (const auto& [table, _] : changed) result.tables.insert(table);
  for (const auto& [table, _] : destroyed) result.tables.insert(table);
  ChangeBatch batch;
  if (!changed.empty()) {
    // The payload of an update of airpg's own may come before the update's
    // answer is applied (pg/write_marks.h): waited for, the read then finds
    // the row as the answer left it and the echo changes nothing — no audit
    // row of its own (docs/two-way-sync.md, "Echo suppression").
    AIRPG_ASSIGN_OR_RETURN(bool settled, pg::WaitUntilUnmarked(conn, pg::WriteSource::kOutbox,
                                                               changed, options.own_write_wait));
    if (!settled) {
      log::Info("sync: payloads of {} name records the outbox is still writing after {} ms",
                base.base_id, options.own_write_wait.count());
    }
    // Taken before the read: what airpg's outbox records after it may be newer than the read.
    AIRPG_ASSIGN_OR_RETURN(pg::Rows clock, conn.Exec("SELECT clock_timestamp()::text"));
    AIRPG_ASSIGN_OR_RETURN(
        batch, ReadRecords(client, base.base_id, changed, options.priority, &result.requests));
    batch.read_from = clock.Get(0, 0);
  }
  batch.source = "webhook";
  for (auto& [table, times] : changed_at) {
    if (changed.count(table)) batch.Table(table).changed_at = std::move(times);
  }
  for (const auto& [table, ids] : destroyed) {
    auto& t = batch.Table(table);
    t.destroyed.insert(t.destroyed.end(), ids.begin(), ids.end());
    t.destroyed_at = std::move(destroyed_at[table]);
  }

  // The cursor moves only from where this cycle read it: a second process
  // that got there first makes this one give way. Written last, so the
  // base's row is held for the least time (the webhook receiver writes
  // last_ping_at there before it answers a ping).
  auto move_cursor = [&](pg::Transaction& tx) -> Status {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows moved,
        tx.Exec("UPDATE airpg.sync_bases SET cursor = $2::bigint, last_payload_at = CASE WHEN "
                "$4 THEN $5::timestamptz ELSE last_payload_at END, updated_at = now() WHERE "
                "base_id = $1 AND cursor = $3::bigint",
                {base.base_id, std::to_string(cursor), std::to_string(start),
                 result.more ? "false" : "true", listed_at}));
    if (moved.AffectedRows() != 1) {
      return AbortedError("the cursor moved under this cycle (another sync of the base?)");
    }
    if (result.payloads > 0) {
      AIRPG_RETURN_IF_ERROR(RecordEvent(
          tx.connection(),
          {base.base_id, "", "webhook", result.applied.records + result.applied.tombstoned,
           result.requests, std::nullopt,
           fmt::format(
               R"({{"payloads":{},"from":{},"to":{},"changed":{},"dead_letters":{},"unreadable":{}}})",
               result.payloads, start, cursor, result.applied.changed, result.applied.failed_cells,
               result.dead_lettered)}));
    }
    return Status::Ok();
  };
  // Everything below runs in the transaction that applies the batch, after
  // the reads and downloads (ApplyAndCount does those with none open).
  auto finish = [&](pg::Transaction& tx) -> Status {
    // A payload the parser could not read names no record we can trust: it
    // is kept whole for the operator, and the safety poll finds its changes.
    result.dead_lettered = 0;
    for (const airtable::Payload& p : unreadable) {
      AIRPG_RETURN_IF_ERROR(DeadLetterPayload(tx, base.base_id, p.number, p.json, p.unreadable));
      ++result.dead_lettered;
    }
    return move_cursor(tx);
  };
  AIRPG_RETURN_IF_ERROR(ApplyAndCount(client, conn, applier, std::move(batch), base.base_id,
                                      options.priority, result.applied, result.requests, finish));
  result.cursor = cursor;
  return result;
}

}  // namespace airpg::sync
