// ReadViewRecords: which records each view of a table shows, in the view's
// order — one listing per view (`view=<id>`), asking for the primary field
// only so the pages stay small. The source of the per-view snapshots
// (pg/view_snapshots.h) that migrate fills and the sync refreshes; a table
// of n views costs at least n requests, so callers pass a low priority.
// Thread-safe as Client is.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "airtable/client.h"
#include "airtable/schema.h"
#include "base/result.h"

namespace airpg::airtable {

struct ViewRecords {
  std::string view_id;
  std::string view_name;
  std::vector<std::string> record_ids;  // in the view's order
  std::string view_type;                // grid, gallery, … (the schema's)
};

// Every view of `table`, in the table's view order. A view Airtable refuses
// to list (422, e.g. a kind of view the list endpoint does not take) is left
// out; any other failure fails the whole read.
Result<std::vector<ViewRecords>> ReadViewRecords(Client& client, std::string_view base_id,
                                                 const Table& table, Priority priority);

}  // namespace airpg::airtable
