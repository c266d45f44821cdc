// RecordWriter: record writes of `airpg serve` for a table routed to postgres
// (issue 17) — create (POST), update (PATCH), replace (PUT), upsert
// (performUpsert) and delete (DELETE) in Airtable's request and answer shapes.
// Each request is one Postgres transaction on the live table; the two-way
// sync's capture trigger (catalog_v6) queues it in airpg.outbox in that same
// transaction and the outbox dispatcher sends it to Airtable, so nothing here
// talks to Airtable. The write guard refuses a table (or field) whose
// authority is airtable; that refusal is answered as 403 INVALID_PERMISSIONS
// naming the setting. A create answers at once with a *reserved* `rec…` id:
// it becomes the row's airpg key in airpg.outbox_keys (see docs/serve.md).
// Attachment cells change airpg.attachments rows in the same transaction
// (attachment_cells.h); collaborators are named by id or email.
// Thread-compatible: one call per connection at a time.
#pragma once

#include <string>
#include <vector>

#include "airtable/wire/api_error.h"
#include "api/api_base.h"
#include "http/url.h"
#include "pg/connection.h"

namespace airpg::api {

struct WriteRequest {
  std::string method;     // POST, PATCH, PUT or DELETE
  std::string record_id;  // the path's record ("" for the table's path)
  std::string body;       // JSON (POST, PATCH, PUT)
  http::QueryParams query;
};

// The body of the answer, or Airtable's error for the request.
airtable::wire::ApiResult<std::string> WriteRecords(pg::Connection& conn, const ApiBase& base,
                                                    const mapping::TablePlan& table,
                                                    const WriteRequest& request);

// A new record id of Airtable's shape (rec + 14 alphanumerics), random.
std::string ReserveRecordId();

}  // namespace airpg::api
