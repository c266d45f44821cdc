#include "sync/proxied_writes.h"

#include <fmt/core.h>

#include "pg/transaction.h"
#include "sync/live_schema.h"
#include "sync/record_applier.h"

namespace airpg::sync {

Status ApplyProxiedWrite(pg::Connection& conn, const std::string& base_id,
                         const std::string& table_id, const std::vector<airtable::Record>& upserts,
                         const std::vector<std::string>& destroyed, const std::string& sent_at) {
  AIRPG_ASSIGN_OR_RETURN(LiveBase base, LoadLiveBase(conn, base_id));
  const mapping::TablePlan* table = base.plan.FindTable(table_id);
  if (table == nullptr) return NotFoundError(fmt::format("table {} is not synced", table_id));
  ChangeBatch batch;
  batch.source = "proxy";
  batch.sent_at = sent_at;
  TableChanges& changes = batch.Table(table_id);
  changes.destroyed = destroyed;
  for (const airtable::Record& r : upserts) {
    // Attachments would need their files fetched (a network call): their
    // cells wait for the sync, as an outbox echo's do.
    airtable::Record copy;
    copy.id = r.id;
    copy.created_time = r.created_time;
    for (size_t i = 0; i < r.field_count(); ++i) {
      const mapping::FieldPlan* f = table->FindField(r.FieldKey(i));
      if (f == nullptr || f->column.storage == mapping::Storage::kAttachments) continue;
      copy.AddField(r.FieldKey(i), r.FieldJson(i));
    }
    changes.upserts.push_back(std::move(copy));
  }
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  RecordApplier applier(base, {});
  AIRPG_RETURN_IF_ERROR(applier.Apply(tx, batch).status());
  return tx.Commit();
}

}  // namespace airpg::sync
