#include "migrate/view_snapshot_step.h"

#include "airtable/view_records.h"
#include "pg/view_snapshots.h"

namespace airpg::migrate {

Status FillViewSnapshots(airtable::Client& client, pg::Connection& conn, std::string_view base_id,
                         const std::set<std::string, std::less<>>& table_ids) {
  AIRPG_ASSIGN_OR_RETURN(airtable::BaseSchema schema,
                         client.GetBaseSchema(base_id, false, airtable::Priority::kBackfill));
  for (const airtable::Table& table : schema.tables) {
    if (!table_ids.empty() && table_ids.count(table.id) == 0) continue;
    // The clock is read before the listing: a record made while it runs is
    // either in it or newer than the snapshot (listed after its members).
    AIRPG_ASSIGN_OR_RETURN(std::string taken_at, pg::SnapshotClock(conn));
    AIRPG_ASSIGN_OR_RETURN(
        std::vector<airtable::ViewRecords> views,
        airtable::ReadViewRecords(client, base_id, table, airtable::Priority::kBackfill));
    std::vector<pg::ViewMembers> members;
    for (auto& v : views) {
      members.push_back({std::move(v.view_id), std::move(v.view_name), std::move(v.record_ids),
                         std::move(v.view_type)});
    }
    AIRPG_RETURN_IF_ERROR(pg::ReplaceTableViews(conn, base_id, table.id, members, taken_at));
  }
  return Status::Ok();
}

}  // namespace airpg::migrate
