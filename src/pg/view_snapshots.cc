#include "pg/view_snapshots.h"

#include <fmt/core.h>

#include "pg/quote.h"
#include "pg/transaction.h"

namespace airpg::pg {

Result<std::string> SnapshotClock(Connection& conn) {
  AIRPG_ASSIGN_OR_RETURN(Rows rows, conn.Exec("SELECT clock_timestamp()::text"));
  return std::string(rows.Get(0, 0));
}

Status ReplaceTableViews(Connection& conn, std::string_view base_id, std::string_view table_id,
                         const std::vector<ViewMembers>& views, const std::string& taken_at) {
  std::string base(base_id), table(table_id);
  std::vector<std::optional<std::string>> view_ids;
  for (const ViewMembers& v : views) view_ids.push_back(v.view_id);
  AIRPG_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("DELETE FROM airpg.view_snapshots WHERE base_id = $1 AND table_id = $2 AND "
             "NOT (view_id = ANY($3::text[]))",
             {base, table, ArrayLiteral(view_ids)}));
  for (size_t i = 0; i < views.size(); ++i) {
    const ViewMembers& v = views[i];
    // A stale mark newer than the read's start is kept: the change it
    // stands for may have missed the read.
    AIRPG_RETURN_IF_ERROR(tx.Run(
        "INSERT INTO airpg.view_snapshots (base_id, table_id, view_id, view_name, view_index, "
        "refreshed_at, view_type) VALUES ($1, $2, $3, $4, $5::int, $6::timestamptz, $7) "
        "ON CONFLICT (base_id, table_id, view_id) DO UPDATE SET view_name = EXCLUDED.view_name, "
        "view_type = EXCLUDED.view_type, "
        "view_index = EXCLUDED.view_index, refreshed_at = EXCLUDED.refreshed_at, "
        "stale_since = CASE WHEN view_snapshots.stale_since > EXCLUDED.refreshed_at "
        "THEN view_snapshots.stale_since END",
        {base, table, v.view_id, v.view_name, std::to_string(i), taken_at, v.view_type}));
    AIRPG_RETURN_IF_ERROR(tx.Run(
        "DELETE FROM airpg.view_members WHERE base_id = $1 AND table_id = $2 AND view_id = $3",
        {base, table, v.view_id}));
    std::vector<std::optional<std::string>> ids(v.record_ids.begin(), v.record_ids.end());
    // WITH ORDINALITY numbers the ids as given: the view's order. DISTINCT
    // ON keeps a record listed twice (a page boundary moved) once, first.
    AIRPG_RETURN_IF_ERROR(tx.Run(
        "INSERT INTO airpg.view_members (base_id, table_id, view_id, record_id, position) "
        "SELECT $1, $2, $3, r, min(n)::int - 1 FROM unnest($4::text[]) WITH ORDINALITY AS m(r, n) "
        "GROUP BY r",
        {base, table, v.view_id, ArrayLiteral(ids)}));
  }
  return tx.Commit();
}

Result<std::vector<TableView>> ListTableViews(Connection& conn, std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      Rows rows, conn.Exec("SELECT table_id, view_id, view_name, view_type FROM "
                           "airpg.view_snapshots WHERE base_id = $1 ORDER BY table_id, view_index",
                           {std::string(base_id)}));
  std::vector<TableView> out;
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back({std::string(rows.Get(i, 0)), std::string(rows.Get(i, 1)),
                   std::string(rows.Get(i, 2)), std::string(rows.Get(i, 3))});
  }
  return out;
}

Status MarkViewsStale(Connection& conn, std::string_view base_id,
                      const std::vector<std::string>& table_ids) {
  if (table_ids.empty()) return Status::Ok();
  std::vector<std::optional<std::string>> ids(table_ids.begin(), table_ids.end());
  return conn.Run(
      "UPDATE airpg.view_snapshots SET stale_since = clock_timestamp() WHERE base_id = $1 AND "
      "table_id = ANY($2::text[]) AND stale_since IS NULL",
      {std::string(base_id), ArrayLiteral(ids)});
}

Result<std::vector<std::string>> StaleViewTables(Connection& conn, std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      Rows rows, conn.Exec("SELECT table_id FROM airpg.view_snapshots WHERE base_id = $1 AND "
                           "stale_since IS NOT NULL GROUP BY table_id ORDER BY min(stale_since)",
                           {std::string(base_id)}));
  std::vector<std::string> out;
  for (int r = 0; r < rows.size(); ++r) out.emplace_back(rows.Get(r, 0));
  return out;
}

Result<std::optional<ViewSnapshot>> FindViewSnapshot(Connection& conn, std::string_view base_id,
                                                     std::string_view table_id,
                                                     std::string_view view_id_or_name) {
  AIRPG_ASSIGN_OR_RETURN(
      Rows rows,
      conn.Exec("SELECT view_id, view_name, refreshed_at::text FROM airpg.view_snapshots WHERE "
                "base_id = $1 AND table_id = $2 AND (view_id = $3 OR view_name = $3) "
                "ORDER BY view_id = $3 DESC, view_index LIMIT 1",
                {std::string(base_id), std::string(table_id), std::string(view_id_or_name)}));
  if (rows.empty()) return std::optional<ViewSnapshot>();
  return std::optional<ViewSnapshot>(ViewSnapshot{
      std::string(rows.Get(0, 0)), std::string(rows.Get(0, 1)), std::string(rows.Get(0, 2))});
}

std::string ViewPositionSql(std::string_view base_param, std::string_view table_param,
                            std::string_view view_param, std::string_view record_id_sql) {
  return fmt::format(
      "(SELECT m.position FROM airpg.view_members m WHERE m.base_id = {} AND m.table_id = {} AND "
      "m.view_id = {} AND m.record_id = {})",
      base_param, table_param, view_param, record_id_sql);
}

}  // namespace airpg::pg
