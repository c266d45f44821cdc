// AttachmentCells: an attachment cell written through `airpg serve` in
// postgres mode, Airtable's way (API.md §2.9): the array replaces the cell;
// {"id"} keeps an attachment (the array's order is the new order, one left
// out is removed) and {"url", "filename"?} adds a file, answered at once
// with a new reserved att… id, the URL and the filename. In the request's
// transaction only rows change (airpg.attachments, catalog_v15): removals
// are deleted, kept rows take their new positions, and an added file is a
// row without bytes or Airtable id, carrying its URL. The capture triggers
// (catalog_v9, v16) queue the cell; the bytes are downloaded later, outside
// any transaction (attachment_urls.h). Stateless; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "airtable/wire/json_read.h"
#include "api/api_base.h"
#include "base/result.h"
#include "pg/transaction.h"

namespace airpg::api {

// One item of a written cell: keep `id`, or add the file at `url`.
struct AttachmentItem {
  std::string id;   // att… (Airtable's, or one serve reserved)
  std::string url;  // set: a new file
  std::string filename;
};

// The items of `value` (nullptr or null: an empty cell). A value Airtable
// refuses is kInvalidArgument with Airtable's message.
Result<std::vector<AttachmentItem>> ParseAttachmentItems(const mapping::FieldPlan& f,
                                                         const airtable::wire::Json* value);

// Makes the cell of record `record_id` (Airtable's id, or the id reserved at
// its create while unpushed) hold `items`. An id that is not the cell's is
// kInvalidArgument with Airtable's message; Postgres errors as they come
// (the write guard's refusal is kPermissionDenied).
Status WriteAttachmentCell(pg::Transaction& tx, const ApiBase& base,
                           const mapping::TablePlan& table, const mapping::FieldPlan& f,
                           const std::string& record_id, const std::vector<AttachmentItem>& items);

// A new id of Airtable's shape: `prefix` and 14 random alphanumerics.
std::string NewAirtableId(const std::string& prefix);

}  // namespace airpg::api
