// ProxiedWrites: a write `airpg serve` proxied to Airtable (a table on the
// airtable or shadow route) is applied to the mirror from Airtable's answer
// as soon as Airtable accepted it, through the inbound applier with origin
// airtable (no outbox row; audited as Airtable's change), instead of when the
// webhook or poll reports it. So a table flipped to postgres right after
// serves the write it acknowledged, and a postgres-mode write to the record
// queues against the right old values (docs/serve.md, "Flipping a route").
// The webhook of the same write later finds nothing to change. Single-thread
// (one call per proxied write, on the caller's connection).
#pragma once

#include <string>
#include <vector>

#include "airtable/record.h"
#include "base/result.h"
#include "pg/connection.h"

namespace airpg::sync {

// Upserts `upserts` (whole records, cells keyed by field id) and tombstones
// `destroyed` in table `table_id` of the base, in one short transaction. No
// network call: attachment cells are left to the sync (their files are not
// downloaded here), as are the records on the other side of moved links.
// `sent_at`: Postgres's clock (timestamptz text) taken before the write was
// sent to Airtable ("" when unknown). The answer may arrive after a later
// Postgres write of the record reached Airtable (the route flipped while the
// request was on its way): a field that an outbox change sent after
// `sent_at` keeps Postgres's value (ChangeBatch::sent_at), and the webhooks
// bring Airtable's state.
// REQUIRES: no transaction open on `conn`.
Status ApplyProxiedWrite(pg::Connection& conn, const std::string& base_id,
                         const std::string& table_id, const std::vector<airtable::Record>& upserts,
                         const std::vector<std::string>& destroyed,
                         const std::string& sent_at = "");

}  // namespace airpg::sync
