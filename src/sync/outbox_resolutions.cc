#include "sync/outbox_resolutions.h"

#include "base/log.h"
#include "pg/transaction.h"
#include "sync/conflicts.h"
#include "sync/deleted_records.h"

namespace airpg::sync {

Result<int64_t> ApplyResolutions(airtable::Client& client, pg::Connection& conn,
                                 const LiveBase& base, OutboxEcho& echo,
                                 const std::vector<Conflict>& resolved) {
  int64_t applied = 0;
  for (const Conflict& c : resolved) {
    if (c.field_id.empty()) {
      // A record Airtable deleted under a Postgres change: the resolution
      // is Postgres's to apply (deleted_records.h), no write to Airtable.
      AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
      AIRPG_RETURN_IF_ERROR(ApplyRecordResolution(tx, base, c));
      AIRPG_RETURN_IF_ERROR(tx.Commit());
      ++applied;
      continue;
    }
    const mapping::TablePlan* table = base.plan.FindTable(c.table_id);
    const mapping::FieldPlan* field = table != nullptr ? table->FindField(c.field_id) : nullptr;
    // An attachment cell's resolution is the attachment step's (outbox_attachments.h).
    if (field != nullptr && field->column.storage == mapping::Storage::kAttachments) continue;
    airtable::BatchOutcome out;
    if (table != nullptr && c.resolved_value) {
      airtable::RecordWrite write;
      write.id = c.record_id;
      write.fields.emplace_back(c.field_id, *c.resolved_value);
      airtable::WriteOptions options;
      options.return_fields_by_field_id = true;
      out = client.WriteBatch(base.base_id, c.table_id, {write}, {}, options);
      const StatusCode code = out.status.code();
      if (!out.status.ok() && code != StatusCode::kNotFound &&
          code != StatusCode::kInvalidArgument) {
        return applied;  // transient, or the token: the next round tries again
      }
      if (!out.status.ok()) {
        log::Warn("conflict {}: the resolution was not written to Airtable: {}", c.id,
                  out.status.ToString());
      }
    }
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
    if (out.status.ok() && !out.result.records.empty() && table != nullptr) {
      // The inbound rules leave this field to the resolution (it is the value now).
      AIRPG_RETURN_IF_ERROR(tx.Run("SELECT set_config('airpg.resolving', $1, true)",
                                   {c.record_id + "/" + c.field_id}));
      AIRPG_RETURN_IF_ERROR(echo.ApplyAnswer(tx, *table, {&out.result.records[0]}));
      AIRPG_RETURN_IF_ERROR(tx.Run("SELECT set_config('airpg.resolving', '', true)"));
    }
    AIRPG_RETURN_IF_ERROR(MarkApplied(tx, c.id));
    AIRPG_RETURN_IF_ERROR(tx.Commit());
    ++applied;
  }
  return applied;
}

}  // namespace airpg::sync
