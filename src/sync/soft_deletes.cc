#include "sync/soft_deletes.h"

#include <fmt/core.h>

#include <string>

#include "base/sql_identifier.h"
#include "pg/transaction.h"
#include "sync/change_batch.h"

namespace airpg::sync {

Result<TouchedRecords> LeaveLinksOfSoftDelete(pg::Connection& conn, const LiveBase& base,
                                              const mapping::TablePlan& table, int64_t row_id) {
  const std::string row = std::to_string(row_id);
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows soft,
      tx.Exec(fmt::format("SELECT airtable_id FROM {} WHERE id = $1::bigint AND deleted_at IS NOT "
                          "NULL FOR UPDATE",
                          QualifiedName(base.schema, table.table_name)),
              {row}));
  TouchedRecords touched;
  if (soft.empty()) {
    AIRPG_RETURN_IF_ERROR(tx.Commit());
    return touched;
  }
  if (!soft.IsNull(0, 0)) {
    // Airtable's delete, applied ahead as the inbound sync applies it (the
    // row is tombstoned already: only its links move).
    ChangeBatch batch;
    batch.source = "outbox";
    batch.Table(table.table_id).destroyed.push_back(std::string(soft.Get(0, 0)));
    ApplyOptions options;
    options.decide_pending_deletes = false;  // a Postgres delete, not one to decide
    RecordApplier applier(base, {}, options);
    AIRPG_ASSIGN_OR_RETURN(ApplyStats stats, applier.Apply(tx, batch));
    touched = std::move(stats.touched);
    // A linking row Airtable has not got yet (no id) has nothing to read.
    for (auto& [table_id, ids] : touched) ids.erase("");
    std::erase_if(touched, [](const auto& entry) { return entry.second.empty(); });
  } else {
    AIRPG_RETURN_IF_ERROR(tx.Run("SET LOCAL airpg.origin = 'airtable'"));
    // The records on the other side never had the link in Airtable: their
    // cells there do not change, nothing to read again.
    TouchedRecords unchanged_in_airtable;
    AIRPG_RETURN_IF_ERROR(
        LeaveLinks(tx, base, table, "(SELECT $1::bigint)", {row}, unchanged_in_airtable));
  }
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return touched;
}

}  // namespace airpg::sync
