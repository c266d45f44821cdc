#include "sync/view_refresh.h"

#include "airtable/view_records.h"
#include "pg/view_snapshots.h"

namespace airpg::sync {

Result<ViewRefreshResult> RefreshStaleViews(airtable::Client& client, pg::Connection& conn,
                                            std::string_view base_id,
                                            const std::function<void()>& before_table,
                                            airtable::Priority priority) {
  ViewRefreshResult result;
  AIRPG_ASSIGN_OR_RETURN(std::vector<std::string> stale, pg::StaleViewTables(conn, base_id));
  if (stale.empty()) return result;
  // The views as they are now: added, renamed and removed ones follow.
  AIRPG_ASSIGN_OR_RETURN(airtable::BaseSchema schema,
                         client.GetBaseSchema(base_id, false, priority));
  for (const std::string& table_id : stale) {
    if (before_table) before_table();
    const airtable::Table* table = schema.FindTable(table_id);
    // A table gone from Airtable: its snapshots go with an empty list.
    AIRPG_ASSIGN_OR_RETURN(std::string taken_at, pg::SnapshotClock(conn));
    std::vector<airtable::ViewRecords> views;
    if (table != nullptr) {
      AIRPG_ASSIGN_OR_RETURN(views, airtable::ReadViewRecords(client, base_id, *table, priority));
    }
    std::vector<pg::ViewMembers> members;
    for (auto& v : views) {
      members.push_back({std::move(v.view_id), std::move(v.view_name), std::move(v.record_ids),
                         std::move(v.view_type)});
    }
    AIRPG_RETURN_IF_ERROR(pg::ReplaceTableViews(conn, base_id, table_id, members, taken_at));
    ++result.tables;
    result.views += static_cast<int64_t>(members.size());
  }
  return result;
}

}  // namespace airpg::sync
