#include "sync/stale_reads.h"

#include <fmt/core.h>

#include "base/sql_identifier.h"
#include "pg/quote.h"

namespace airpg::sync {

Result<std::set<std::string, std::less<>>> DeletedSinceRead(
    pg::Transaction& tx, std::string_view schema, const mapping::TablePlan& table,
    const std::vector<std::string>& record_ids, std::string_view read_from) {
  std::set<std::string, std::less<>> stale;
  if (record_ids.empty()) return stale;
  std::vector<std::optional<std::string>> ids(record_ids.begin(), record_ids.end());
  // $3 '' is a read of unknown time: every delete may postdate it.
  // The outbox lookups use outbox_record_idx (pending, by row) and
  // outbox_deletes_by_record_idx (deletes, by record id; catalog v20).
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      tx.Exec(fmt::format(
                  "SELECT r.id FROM unnest($2::text[]) AS r(id) LEFT JOIN {} t ON t.airtable_id = "
                  "r.id WHERE (t.deleted_at IS NOT NULL AND ($3 = '' OR t.airpg_synced_at >= "
                  "nullif($3, '')::timestamptz OR EXISTS (SELECT 1 FROM airpg.outbox o WHERE "
                  "o.table_id = $1 AND o.row_id = t.id AND o.status = 'pending' AND 'deleted_at' "
                  "= ANY (o.changed_columns)))) OR ((t.id IS NULL OR t.deleted_at IS NOT NULL) "
                  "AND EXISTS (SELECT 1 FROM airpg.outbox o WHERE o.table_id = $1 AND "
                  "o.airtable_id = r.id AND o.field_id IS NULL AND (o.operation = 'DELETE' OR "
                  "'deleted_at' = ANY (o.changed_columns)) AND (o.status = 'pending' OR $3 = '' "
                  "OR o.done_at >= nullif($3, '')::timestamptz)))",
                  QualifiedName(schema, table.table_name)),
              {table.table_id, pg::ArrayLiteral(ids), std::string(read_from)}));
  for (int i = 0; i < rows.size(); ++i) stale.insert(std::string(rows.Get(i, 0)));
  return stale;
}

}  // namespace airpg::sync
