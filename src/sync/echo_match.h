// Echoes of airpg's own writes to Airtable (docs/architecture.md, "Echo
// suppression"). Every write of the outbox comes back as a webhook payload.
// Its answer is already in the mirror (outbox_echo.h applies it), so reading
// the record again would only spend the base's budget on a change the
// mirror has: each record Airtable answered is kept in airpg.outbox_echoes,
// in the transaction that applies the answer, and the payload cycle passes a
// record whose every payload of the window says what an answer said, in the
// order the answers came. Anything else — a cell that differs, a value the
// payload's form cannot be compared in (lookups), an answer not yet
// committed — is read from Airtable as before: a missed echo costs a
// request, never a change. Thread-compatible; the comparison is pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "airtable/record.h"
#include "airtable/webhook.h"
#include "base/result.h"
#include "mapping/schema_plan.h"
#include "pg/connection.h"
#include "pg/transaction.h"
#include "sync/link_writer.h"

namespace airpg::sync {

// Keeps Airtable's answer `record` (of table `table_id`) as an echo to
// expect, in the transaction that applies it to the mirror.
Status RecordEcho(pg::Transaction& tx, const std::string& base_id, const std::string& table_id,
                  const airtable::Record& record);

// Whether a payload's cells (webhook "V2" form, by field id) say what an
// answer's cells (REST form, a JSON object by field id) say. `table` (may be
// null) gives the field types the two forms differ in: select objects
// against names, link objects against ids, collaborators and attachments by
// id. An empty value (null, false, "", []) equals an absent one. A lookup
// cell never matches: its payload form cannot be compared.
bool PayloadMatchesAnswer(const mapping::TablePlan* table, const airtable::Cells& payload,
                          const nlohmann::json& answer);

// What a payload window said of each record, in payload order: the cells of
// each created or changed entry. By table id, then record id.
using WindowCells = std::map<std::string, std::map<std::string, std::vector<airtable::Cells>>>;

struct EchoMatch {
  TouchedRecords echoes;                // by table id: records changed only by airpg's writes
  std::map<std::string, int64_t> used;  // record id → the last echo the window used
  int64_t count() const;
};

// The records of `window` whose every entry matches one of their echoes,
// each later than the one before. Reads airpg.outbox_echoes; while records
// left unmatched have a change leased by a dispatcher (its answer may not
// be committed yet), looks again, for at most `in_flight_wait`.
Result<EchoMatch> MatchEchoes(pg::Connection& conn, const std::string& base_id,
                              const mapping::SchemaPlan& plan, const WindowCells& window,
                              std::chrono::milliseconds in_flight_wait = std::chrono::seconds(1));

// In the transaction that moves the cursor past the window: deletes the
// echoes `match` used and those before them of the same records, and every
// echo of the base older than a day (its payload never came, or went to a
// hook since replaced).
Status ForgetEchoes(pg::Transaction& tx, const std::string& base_id, const EchoMatch& match);

}  // namespace airpg::sync
