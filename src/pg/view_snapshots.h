// airpg.view_snapshots and airpg.view_members (catalog v11): which records
// each Airtable view shows and in what order, as last read from Airtable.
// The owning module of both tables: migrate fills them, the sync marks them
// stale and refreshes them, the API reads them to answer a list with `view`
// in postgres mode (docs/serve.md). Single-thread per Connection.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "pg/connection.h"

namespace airpg::pg {

// One view as read from Airtable: its records in the view's order.
struct ViewMembers {
  std::string view_id;
  std::string view_name;
  std::vector<std::string> record_ids;
  std::string view_type;  // grid, gallery, …; "" unknown
};

// Postgres's clock now, as text: taken before a snapshot's read from
// Airtable begins and passed to ReplaceTableViews as its `taken_at`.
Result<std::string> SnapshotClock(Connection& conn);

// Replaces the snapshots of one table's views with `views` (in the table's
// view order; views no longer listed are dropped), refreshed at `taken_at`.
// A stale mark made after `taken_at` stays. One transaction.
// REQUIRES: no transaction open on `conn`.
Status ReplaceTableViews(Connection& conn, std::string_view base_id, std::string_view table_id,
                         const std::vector<ViewMembers>& views, const std::string& taken_at);

// Marks the views of these tables stale (a change reached them); tables
// without snapshots are left alone.
Status MarkViewsStale(Connection& conn, std::string_view base_id,
                      const std::vector<std::string>& table_ids);

// The tables of the base with a stale view, oldest mark first.
Result<std::vector<std::string>> StaleViewTables(Connection& conn, std::string_view base_id);

// A view of a table as serve's Meta API lists it.
struct TableView {
  std::string table_id;
  std::string view_id;
  std::string view_name;
  std::string view_type;  // "" for a snapshot older than catalog v17
};

// The base's views with a snapshot, by table and in each table's view order.
Result<std::vector<TableView>> ListTableViews(Connection& conn, std::string_view base_id);

// A view's snapshot as the API uses it.
struct ViewSnapshot {
  std::string view_id;
  std::string view_name;
  std::string refreshed_at;  // timestamptz text
};

// The view of the table by id, else by exact name (as Airtable accepts
// either); nullopt when the table has no snapshot of such a view.
Result<std::optional<ViewSnapshot>> FindViewSnapshot(Connection& conn, std::string_view base_id,
                                                     std::string_view table_id,
                                                     std::string_view view_id_or_name);

// An SQL expression: the position of the record `record_id_sql` in the view,
// NULL when the snapshot does not hold it. The other arguments are the
// placeholders ($n) of the base id, table id and view id.
std::string ViewPositionSql(std::string_view base_param, std::string_view table_param,
                            std::string_view view_param, std::string_view record_id_sql);

}  // namespace airpg::pg
