#include "sync/soft_deletes.h"

#include <fmt/core.h>

#include <string>

#include "base/sql_identifier.h"
#include "pg/transaction.h"
#include "sync/change_batch.h"

namespace airpg::sync {
namespace {

// The row's links as a hard delete leaves them: junction rows from and to
// it deleted, foreign keys to it cleared (its own foreign keys stay, as the
// tombstone keeps a row's own values; verify and the views skip the row).
Status DropLinks(pg::Transaction& tx, const LiveBase& base, const mapping::TablePlan& table,
                 const std::string& row) {
  for (const auto& t : base.plan.tables) {
    for (const auto& f : t.fields) {
      const bool from_here = t.table_id == table.table_id;
      const bool to_here = f.linked_table_id == table.table_id;
      if (f.link_role == mapping::LinkRole::kJunction && (from_here || to_here)) {
        const std::string j = QualifiedName(base.schema, f.relation_table);
        if (from_here) {
          AIRPG_RETURN_IF_ERROR(
              tx.Run(fmt::format("DELETE FROM {} WHERE from_id = $1::bigint", j), {row}));
        }
        if (to_here) {
          AIRPG_RETURN_IF_ERROR(
              tx.Run(fmt::format("DELETE FROM {} WHERE to_id = $1::bigint", j), {row}));
        }
      } else if (f.link_role == mapping::LinkRole::kForeignKey && to_here) {
        const std::string fk = QuoteIdentifier(f.column_name);
        AIRPG_RETURN_IF_ERROR(tx.Run(fmt::format("UPDATE {} SET {} = NULL WHERE {} = $1::bigint",
                                                 QualifiedName(base.schema, t.table_name), fk, fk),
                                     {row}));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

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
    AIRPG_RETURN_IF_ERROR(DropLinks(tx, base, table, row));
  }
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return touched;
}

}  // namespace airpg::sync
