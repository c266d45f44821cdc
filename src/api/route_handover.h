// RouteHandover: what keeps a table's flip between the postgres route and the
// Airtable routes (airtable, shadow) from losing a write or serving a stale
// read (docs/serve.md, "Flipping a route"). Around every request proxied to
// Airtable for a table:
//   Before: the table's outbox changes queued before the request are sent
//     first (a bounded wait), so Airtable already holds every write Postgres
//     acknowledged: a read sees it, and a proxied write is never overwritten
//     later by an older queued one. Then the reserved ids postgres-mode
//     creates answered with are replaced by Airtable's ids (path,
//     `records[]`, body ids and link cells).
//   After: a write Airtable accepted is handed to the sink (serve wires the
//     sync's applier, sync/proxied_writes.h), which applies Airtable's answer
//     to Postgres at once, so a postgres-mode request right after a flip
//     finds the record as written.
//   From Before to After a write marks the records it names
//   (pg/write_marks.h): until its answer is the fields' last synced
//   value, the outbox's read before write waits for them rather than take
//   the value for an Airtable edit.
// Thread-safe: no state but its options.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "airtable/record.h"
#include "api/api_base.h"
#include "base/result.h"
#include "http/message.h"
#include "pg/connection.h"
#include "pg/write_marks.h"

namespace airpg::api {

// What a write proxied to Airtable changed, as Airtable answered it: whole
// records with cells keyed by field id (fields the mirror does not know are
// left out) and the ids it deleted.
struct ProxiedChanges {
  std::vector<airtable::Record> upserts;
  std::vector<std::string> destroyed;
  // Postgres's clock (timestamptz text) before the write was sent; "" when
  // unknown. What the sync recorded after it may be newer than the answer.
  std::string sent_at;
};

// A write on its way to Airtable, from Before to After.
struct InFlightWrite {
  // Postgres's clock (timestamptz text) as it left (ProxiedChanges::sent_at).
  std::string sent_at;
  // On the records it names; After (or the destructor) removes it.
  pg::WriteMark mark;
};

// Applies `changes` of table `table_id` to Postgres (origin airtable: no
// outbox row). Must not call Airtable.
using ProxiedWriteSink =
    std::function<Status(pg::Connection& conn, const std::string& base_id,
                         const std::string& table_id, const ProxiedChanges& changes)>;

// The changes in Airtable's answer to a write (create, update, replace,
// upsert: records; delete: `deleted` ids). Empty when the answer is none of
// those.
ProxiedChanges ChangesOfAnswer(const mapping::TablePlan& table, std::string_view answer_body);

class RouteHandover {
 public:
  // `outbox_wait` bounds Before's wait; null `sink`: After does nothing (the
  // sync applies the write when Airtable reports it).
  RouteHandover(std::chrono::milliseconds outbox_wait, ProxiedWriteSink sink)
      : outbox_wait_(outbox_wait), sink_(std::move(sink)) {}

  // The request to send to Airtable for `table`. kUnavailable when a write
  // meets outbox changes still unsent after `outbox_wait` (sending it could
  // let the older change overwrite it); a read is sent anyway then.
  // `in_flight` (optional, for a write) gets Postgres's clock as the write
  // leaves and the mark on the records it names, for After; the caller keeps
  // it until After, or until Airtable refused the write.
  Result<http::Request> Before(pg::Connection& conn, const http::Request& request,
                               const mapping::TablePlan& table, bool read,
                               InFlightWrite* in_flight = nullptr) const;

  // After Airtable answered `answer_body` (2xx) to the write `request`.
  // A failure is logged, never returned: the write is made and acknowledged,
  // and the sync applies it when Airtable reports it. Then removes the mark
  // of `in_flight` (what Before gave).
  void After(pg::Connection& conn, const std::string& base_id, const mapping::TablePlan& table,
             const std::string& answer_body, InFlightWrite& in_flight) const;

 private:
  const std::chrono::milliseconds outbox_wait_;
  const ProxiedWriteSink sink_;
};

}  // namespace airpg::api
