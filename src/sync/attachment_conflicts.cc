#include "sync/attachment_conflicts.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "base/log.h"
#include "sync/conflicts.h"

namespace airpg::sync {
namespace {

using nlohmann::json;

std::set<std::string> SetOf(const std::vector<std::string>& ids) {
  return std::set<std::string>(ids.begin(), ids.end());
}

// Sorted ids (and Postgres's new files after them) as JSON; "null" when empty.
std::string ListJson(const std::set<std::string>& ids,
                     const std::vector<std::pair<std::string, int64_t>>& pending = {}) {
  json out = json::array();
  for (const auto& id : ids) out.push_back(id);
  for (const auto& [filename, size] : pending) {
    out.push_back({{"filename", filename}, {"size", size}});
  }
  return out.empty() ? "null" : out.dump();
}

SyncTime FromEpoch(std::string_view seconds) {
  return SyncTime{} + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                          std::chrono::duration<double>(std::stod(std::string(seconds))));
}

}  // namespace

bool AirtableChangedCell(const AttachmentCellVersions& cell) {
  return SetOf(cell.airtable_ids) != SetOf(cell.base_ids);
}

Result<FieldDecision> DecideAttachmentCell(pg::Transaction& tx, const AttachmentCellVersions& cell,
                                           const FieldPolicy& policy) {
  pg::Connection& conn = tx.connection();
  std::set<std::string> postgres = SetOf(cell.base_ids);
  for (const auto& id : cell.removed_ids) postgres.erase(id);
  const std::string base = ListJson(SetOf(cell.base_ids));
  // The base this decision is three-way against: the ids of the capture.
  AIRPG_RETURN_IF_ERROR(
      RecordSynced(conn, cell.base_id, cell.table_id, cell.record_id, cell.field_id, base));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows times,
      conn.Exec("SELECT extract(epoch FROM clock_timestamp())::text, extract(epoch FROM "
                "coalesce($1::timestamptz, clock_timestamp()))::text",
                {cell.changed_at.empty() ? pg::Param() : pg::Param(cell.changed_at)}));
  FieldChange change{cell.base_id,
                     cell.table_id,
                     cell.record_id,
                     cell.field_id,
                     ListJson(SetOf(cell.airtable_ids)),
                     ListJson(postgres, cell.pending),
                     FromEpoch(times.Get(0, 0)),
                     FromEpoch(times.Get(0, 1))};
  change.origin = "postgres";
  return ResolveFieldChange(tx, change, policy);
}

Result<std::optional<HeldCell>> FindHeldCell(pg::Connection& conn, const std::string& table_id,
                                             const std::string& record_id,
                                             const std::string& field_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT conflict_id, status, coalesce(resolution, ''), applied_at IS NULL FROM "
                "airpg.conflicts WHERE table_id = $1 AND record_id = $2 AND field_id = $3 ORDER "
                "BY conflict_id DESC LIMIT 1",
                {table_id, record_id, field_id}));
  if (rows.empty()) return std::optional<HeldCell>();
  HeldCell held;
  held.conflict_id = std::stoll(std::string(rows.Get(0, 0)));
  if (rows.Get(0, 1) == "open") {
    held.open = true;
    return std::optional<HeldCell>(held);
  }
  if (rows.Get(0, 3) != "t") return std::optional<HeldCell>();  // applied: nothing held
  const std::string resolution(rows.Get(0, 2));
  if (resolution == "value") {
    // A value of the operator's cannot name files: Airtable's cell stands.
    log::Warn(
        "conflict {}: an attachment cell takes airtable or postgres, not a value; "
        "Airtable's cell is kept",
        held.conflict_id);
  }
  held.resolution = resolution == "postgres" ? FieldAction::kToAirtable : FieldAction::kToPostgres;
  return std::optional<HeldCell>(held);
}

}  // namespace airpg::sync
