// OutboxEcho: what keeps airpg's own writes to Airtable from coming back as
// changes (docs/two-way-sync.md, "Echo suppression"). Airtable's answer to a
// write — and the records on the other side of the links it moved, read
// again once the write's outcome is committed — are applied to the mirror
// through the inbound applier with origin airtable and airpg.echo on (no
// outbox row, no audit row of their own), so the webhook payloads of the
// same write find nothing left to change. Single-thread (one dispatcher round).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "airtable/client.h"
#include "base/result.h"
#include "pg/connection.h"
#include "pg/transaction.h"
#include "sync/link_writer.h"
#include "sync/outbox_store.h"
#include "sync/record_applier.h"

namespace airpg::sync {

class OutboxEcho {
 public:
  // Borrows all three for the round.
  OutboxEcho(airtable::Client& client, pg::Connection& conn, const LiveBase& base)
      : client_(client), conn_(conn), base_(base) {}

  // Notes the records on the other side of the links `changes` moved (old
  // and new targets of the row's foreign keys and junction rows, and, when
  // the row is gone — `row` null or tombstoned — the records linking to it).
  Status NoteLinkedRecords(const mapping::TablePlan& table, int64_t row_id,
                           const nlohmann::json& row, const std::vector<OutboxChange>& changes);

  // Applies Airtable's answer to a write in the outcome's transaction.
  Status ApplyAnswer(pg::Transaction& tx, const mapping::TablePlan& table,
                     const std::vector<const airtable::Record*>& records);

  // Notes records to read again too (the other side of the links a soft
  // delete left, soft_deletes.h).
  void Note(const TouchedRecords& records) {
    for (const auto& [table_id, ids] : records) touched_[table_id].insert(ids.begin(), ids.end());
  }

  // Reads the noted records again and applies them in short transactions of
  // their own (after the outcomes are committed). Returns the requests made.
  Result<int64_t> FollowTouched();

 private:
  airtable::Record WithoutUnmirrored(const std::string& table_id, const airtable::Record& r) const;

  airtable::Client& client_;
  pg::Connection& conn_;
  const LiveBase& base_;
  TouchedRecords touched_;  // by table id: records the writes' links moved
};

}  // namespace airpg::sync
