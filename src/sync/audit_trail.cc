#include "sync/audit_trail.h"

#include <fmt/core.h>

#include "sync/iso_time.h"

namespace airpg::sync {
namespace {

std::string IdArray(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

}  // namespace

Status WriteAuditEntry(pg::Connection& conn, const AuditEntry& entry) {
  // Named as the row writes of the same table are: its schema and relation.
  return conn.Run(
      "INSERT INTO airpg.audit_log (schema_name, table_name, operation, row_id, airtable_id, "
      "origin, detail) SELECT b.schema_name, t.table_name, $3, NULL, $2, $4, nullif($5, "
      "'')::jsonb FROM airpg.tables t JOIN airpg.bases b USING (base_id) WHERE t.table_id = $1",
      {entry.table_id, entry.record_id, entry.operation, entry.origin, entry.detail_json});
}

Status MarkPushed(pg::Transaction& tx, const std::vector<int64_t>& outbox_ids,
                  const std::string& record_id) {
  if (outbox_ids.empty()) return Status::Ok();
  return tx.Run(
      "UPDATE airpg.audit_log a SET pushed_at = now(), pushed_record = $2 FROM airpg.outbox o "
      "WHERE o.outbox_id = ANY($1::bigint[]) AND a.txid = o.txid AND a.table_name = "
      "o.table_name AND a.schema_name = o.schema_name AND a.origin <> 'airtable' AND "
      "a.operation IN ('INSERT', 'UPDATE', 'DELETE') AND a.row_id IS NOT DISTINCT FROM "
      "CASE WHEN o.field_id IS NULL THEN o.row_id ELSE a.row_id END AND a.pushed_at IS NULL",
      {IdArray(outbox_ids), record_id});
}

Result<std::vector<AuditRow>> ReadAudit(pg::Connection& conn, const std::string& table,
                                        const std::string& since, int limit) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec(fmt::format("SELECT audit_id, {}, schema_name, table_name, operation, origin, "
                            "coalesce(airtable_id, ''), coalesce(array_to_string(changed_columns, "
                            "','), ''), coalesce(detail::text, ''), coalesce({}, ''), "
                            "coalesce(pushed_record, '') FROM airpg.audit_log WHERE ($1 = '' OR "
                            "table_name = $1) AND ($2 = '' OR at >= $2::timestamptz) ORDER BY "
                            "at DESC, audit_id DESC LIMIT $3::integer",
                            IsoTimeSql("at"), IsoTimeSql("pushed_at")),
                {table, since, std::to_string(limit)}));
  std::vector<AuditRow> out;
  for (int i = 0; i < rows.size(); ++i) {
    AuditRow r;
    r.audit_id = std::stoll(std::string(rows.Get(i, 0)));
    r.at = rows.Get(i, 1);
    r.schema_name = rows.Get(i, 2);
    r.table_name = rows.Get(i, 3);
    r.operation = rows.Get(i, 4);
    r.origin = rows.Get(i, 5);
    r.airtable_id = rows.Get(i, 6);
    r.changed = rows.Get(i, 7);
    r.detail = rows.Get(i, 8);
    r.pushed_at = rows.Get(i, 9);
    r.pushed_record = rows.Get(i, 10);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace airpg::sync
