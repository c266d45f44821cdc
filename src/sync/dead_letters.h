// The dead-letter queue (airpg.dead_letters): changes the sync could not
// apply, kept with the cell as Airtable sent it and the reason. A letter is
// one cell of one record. It stays open ('retrying' while the sync itself
// tries again — a link whose target has not arrived — then 'dead') until a
// later apply of the same record carries the cell cleanly ('superseded'), an
// operator replays it ('replayed') or drops it ('dropped'). Open letters
// explain their cells to `airpg verify`, as the rejects ledger does for a
// migration. Single-thread per Connection.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"
#include "pg/transaction.h"

namespace airpg::sync {

struct CellFailure {
  std::string record_id;
  std::string field_id;
  std::string payload;  // the cell's JSON as Airtable sent it
  std::string reason;
  bool retry = false;  // the sync tries again by itself (missing link target)
};

// After applying `applied` records of a table (whole records, so every cell
// of theirs not in `failures` is now right): their open letters are
// superseded, letters failing again count one more attempt (a retrying letter
// turns 'dead' after `max_attempts`), new failures become letters. Returns
// the number of letters open for these records afterwards.
Result<int64_t> RecordApplyOutcome(pg::Transaction& tx, const std::string& base_id,
                                   const std::string& table_id, const std::string& source,
                                   const std::vector<std::string>& applied,
                                   const std::vector<CellFailure>& failures, int max_attempts);

// A webhook payload the parser could not read (airtable::Payload::
// unreadable): one 'dead' letter with the whole payload and the reason, no
// table, record or field (table_id and record_id ""), so the cursor can pass
// it. Its records are the safety poll's to find; replay has nothing to read
// again: drop the letter once you have looked at it.
Status DeadLetterPayload(pg::Transaction& tx, const std::string& base_id, int64_t number,
                         const std::string& payload_json, const std::string& reason);

// Records a read could not take at all (malformed: no id, no valid
// createdTime, `fields` not an object, …): one letter each, field_id NULL and
// the record's JSON as payload, status 'dead' (the sync cannot mend Airtable's
// data); the same record read again malformed for the same reason counts one
// more attempt on its open letter instead. A record without an id has "".
Status LetterMalformedRecords(pg::Transaction& tx, const std::string& base_id,
                              const std::string& table_id, const std::string& source,
                              const std::vector<CellFailure>& records);

// Every status a letter can have, open ones first.
inline constexpr std::array<std::string_view, 5> kDeadLetterStatuses = {
    "retrying", "dead", "replayed", "superseded", "dropped"};
bool IsDeadLetterStatus(std::string_view status);

struct DeadLetter {
  int64_t id = 0;
  std::string base_id, table_id, record_id, field_id, source, payload, reason, status;
  int attempts = 0;
  std::string created_at, updated_at;  // ISO 8601 with offset
};

// Letters of a base (all bases when empty), newest first; `status` "" = open
// ones. kInvalidArgument (naming the statuses) for a status not in
// kDeadLetterStatuses.
Result<std::vector<DeadLetter>> ListDeadLetters(pg::Connection& conn, const std::string& base_id,
                                                const std::string& status, int limit = 100);
// kNotFound for an unknown id.
Result<DeadLetter> GetDeadLetter(pg::Connection& conn, int64_t id);
// Marks open letters 'dropped' (or 'replayed'); kNotFound when none of `ids` was open.
Status CloseDeadLetters(pg::Connection& conn, const std::vector<int64_t>& ids,
                        const std::string& status);
// The open letters' cells of a table: record id → field ids.
Result<std::vector<std::pair<std::string, std::string>>> OpenDeadLetterCells(
    pg::Connection& conn, const std::string& table_id);

}  // namespace airpg::sync
