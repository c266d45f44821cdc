#include "sync/record_reader.h"

#include <fmt/core.h>

#include <vector>

#include "sync/dead_letters.h"

namespace airpg::sync {
namespace {

constexpr size_t kIdsPerRequest = 100;  // a page holds 100 records

void Add(ApplyStats& total, const ApplyStats& s) {
  total.records += s.records;
  total.changed += s.changed;
  total.tombstoned += s.tombstoned;
  total.failed_cells += s.failed_cells;
  total.unknown_field_cells += s.unknown_field_cells;
  total.attachments_stored += s.attachments_stored;
}

// A malformed record never fails a cycle: each goes to the dead-letter
// queue with its JSON and reason, and the rest of the batch applies.
Status LetterMalformed(pg::Transaction& tx, const std::string& base_id, const ChangeBatch& batch) {
  for (const auto& t : batch.tables) {
    if (t.malformed.empty()) continue;
    std::vector<CellFailure> letters;
    for (const auto& m : t.malformed) {
      letters.push_back({m.record_id, "", m.raw_json, "malformed record: " + m.reason, false});
    }
    AIRPG_RETURN_IF_ERROR(LetterMalformedRecords(tx, base_id, t.table_id, batch.source, letters));
  }
  return Status::Ok();
}

}  // namespace

std::string RecordIdFilter(const std::set<std::string>& ids) {
  if (ids.empty()) return "";
  std::string terms;
  for (const auto& id : ids) {
    // Record ids are rec + alphanumerics; anything else cannot be one and
    // must not reach a formula.
    bool plain = !id.empty();
    for (char c : id) plain = plain && std::isalnum(static_cast<unsigned char>(c));
    if (!plain) continue;
    if (!terms.empty()) terms += ",";
    terms += fmt::format("RECORD_ID()='{}'", id);
  }
  return terms.empty() ? "FALSE()" : "OR(" + terms + ")";
}

Result<ChangeBatch> ReadRecords(airtable::Client& client, const std::string& base_id,
                                const TouchedRecords& ids, airtable::Priority priority,
                                int64_t* requests) {
  ChangeBatch batch;
  for (const auto& [table_id, wanted] : ids) {
    std::vector<std::string> all(wanted.begin(), wanted.end());
    for (size_t start = 0; start < all.size(); start += kIdsPerRequest) {
      std::set<std::string> chunk(all.begin() + start,
                                  all.begin() + std::min(all.size(), start + kIdsPerRequest));
      airtable::ListOptions options;
      options.return_fields_by_field_id = true;
      options.filter_by_formula = RecordIdFilter(chunk);
      airtable::RecordPager pager = client.ListRecords(base_id, table_id, options, priority);
      std::set<std::string> seen;
      // A malformed record without an id may be any of the chunk's: then
      // no unseen id of the chunk counts as destroyed (the sweep decides).
      bool anonymous = false;
      for (;;) {
        AIRPG_ASSIGN_OR_RETURN(auto page, pager.Next());
        if (!page) break;  // the pager knew it was done: no request
        if (requests != nullptr) ++*requests;
        TableChanges& changes = batch.Table(table_id);
        for (auto& record : page->records) {
          seen.insert(record.id);
          changes.upserts.push_back(std::move(record));
        }
        for (auto& m : page->malformed) {
          seen.insert(m.record_id);
          anonymous = anonymous || m.record_id.empty();
          changes.malformed.push_back(std::move(m));
        }
      }
      for (const auto& id : chunk) {
        if (!seen.count(id) && !anonymous) batch.Table(table_id).destroyed.push_back(id);
      }
    }
  }
  return batch;
}

Status ApplyAndCount(airtable::Client& client, pg::Connection& conn, RecordApplier& applier,
                     ChangeBatch batch, const std::string& base_id, airtable::Priority priority,
                     ApplyStats& applied, int64_t& requests,
                     const std::function<Status(pg::Transaction& tx)>& finish) {
  if (batch.empty()) {
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
    if (finish) AIRPG_RETURN_IF_ERROR(finish(tx));
    return tx.Commit();
  }
  auto count = [&](pg::Transaction& tx, const RoundStats& rounds) -> Status {
    Add(applied, rounds.applied);
    for (auto& [table, ids] : rounds.applied.touched)
      applied.touched[table].insert(ids.begin(), ids.end());
    requests += rounds.requests;
    return finish ? finish(tx) : Status::Ok();
  };
  return ApplyWithFollowUps(client, conn, applier, std::move(batch), base_id, priority, count)
      .status();
}

Result<RoundStats> ApplyWithFollowUps(airtable::Client& client, pg::Connection& conn,
                                      RecordApplier& applier, ChangeBatch batch,
                                      const std::string& base_id, airtable::Priority priority,
                                      const InTransaction& finish, int max_rounds) {
  RoundStats stats;
  FetchedAttachments fetched;
  TouchedRecords done;
  ChangeBatch more;
  const ChangeBatch* added = &batch;  // what this round brought (its attachments to fetch)
  for (;;) {
    for (const auto& t : added->tables) {
      for (const auto& r : t.upserts) done[t.table_id].insert(r.id);
      for (const auto& id : t.destroyed) done[t.table_id].insert(id);
      for (const auto& m : t.malformed) done[t.table_id].insert(m.record_id);
    }
    AIRPG_RETURN_IF_ERROR(applier.FetchAttachments(conn, *added, fetched));
    ++stats.rounds;
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
    AIRPG_RETURN_IF_ERROR(LetterMalformed(tx, base_id, batch));
    AIRPG_ASSIGN_OR_RETURN(ApplyStats applied, applier.Apply(tx, batch, fetched));
    TouchedRecords next;
    for (const auto& [table, ids] : applied.touched) {
      for (const auto& id : ids) {
        if (!done[table].count(id)) next[table].insert(id);
      }
    }
    if (next.empty() || stats.rounds >= max_rounds) {
      stats.applied = std::move(applied);
      stats.applied.touched = std::move(next);  // left for a later cycle
      if (finish) AIRPG_RETURN_IF_ERROR(finish(tx, stats));
      AIRPG_RETURN_IF_ERROR(tx.Commit());
      return stats;
    }
    // Roll back before reading: the next round applies this batch again,
    // with the touched records, once they are here.
    AIRPG_RETURN_IF_ERROR(tx.Rollback());
    AIRPG_ASSIGN_OR_RETURN(more, ReadRecords(client, base_id, next, priority, &stats.requests));
    for (auto& t : more.tables) {
      TableChanges& into = batch.Table(t.table_id);
      into.upserts.insert(into.upserts.end(), t.upserts.begin(), t.upserts.end());
      into.destroyed.insert(into.destroyed.end(), t.destroyed.begin(), t.destroyed.end());
      into.malformed.insert(into.malformed.end(), t.malformed.begin(), t.malformed.end());
    }
    added = &more;
  }
}

}  // namespace airpg::sync
