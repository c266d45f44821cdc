#include "sync/relation_values.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "base/sql_identifier.h"
#include "sync/canonical_cells.h"

namespace airpg::sync {
namespace {

using mapping::LinkRole;
using mapping::Storage;
using nlohmann::json;

std::string IdArray(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

std::string Target(const LiveBase& base, const mapping::FieldPlan& f) {
  const mapping::TablePlan* target = base.plan.FindTable(f.linked_table_id);
  return QualifiedName(base.schema, target != nullptr ? target->table_name : "");
}

}  // namespace

std::string RelationValueSql(const LiveBase& base, const mapping::FieldPlan& f,
                             std::string_view row) {
  const std::string column = fmt::format("{}.{}", row, QuoteIdentifier(f.column_name));
  if (f.column.storage == Storage::kUser) return fmt::format("to_jsonb({})::text", column);
  if (f.link_role == LinkRole::kForeignKey) {
    return fmt::format("(SELECT jsonb_build_array(l.airtable_id) FROM {} l WHERE l.id = {})::text",
                       Target(base, f), column);
  }
  const std::string junction = QualifiedName(base.schema, f.relation_table);
  if (f.column.storage == Storage::kUserJunction) {
    return fmt::format(
        "(SELECT jsonb_agg(u.user_id ORDER BY u.position, u.user_id) FROM {} u WHERE "
        "u.record_id = {}.id)::text",
        junction, row);
  }
  return fmt::format(
      "(SELECT jsonb_agg(l.airtable_id ORDER BY j.position NULLS LAST, j.to_id) FROM {} j JOIN "
      "{} l ON l.id = j.to_id WHERE j.from_id = {}.id)::text",
      junction, Target(base, f), row);
}

Result<std::optional<std::string>> RelationBefore(pg::Connection& conn, const LiveBase& base,
                                                  const mapping::FieldPlan& f, int64_t row_id,
                                                  const std::vector<int64_t>& outbox_ids) {
  const std::string ids = IdArray(outbox_ids);
  if (f.column.storage == Storage::kUser || f.link_role == LinkRole::kForeignKey) {
    // A column: its value in the row before the first change of it.
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows rows,
        conn.Exec("SELECT (array_agg(old_row -> $2 ORDER BY outbox_id))[1]::text FROM "
                  "airpg.outbox WHERE outbox_id = ANY($1::bigint[]) AND field_id IS NULL AND "
                  "old_row IS NOT NULL AND $2 = ANY(changed_columns) HAVING count(*) > 0",
                  {ids, f.column_name}));
    if (rows.empty()) return std::optional<std::string>();
    if (rows.IsNull(0, 0) || rows.Get(0, 0) == "null") return std::optional<std::string>("null");
    if (f.column.storage == Storage::kUser) {
      return std::optional<std::string>(RelationCell(f, rows.Get(0, 0)));
    }
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows target,
        conn.Exec(fmt::format("SELECT jsonb_build_array(airtable_id)::text FROM {} WHERE id = "
                              "$1::text::bigint AND airtable_id IS NOT NULL",
                              Target(base, f)),
                  {std::string(rows.Get(0, 0))}));
    if (target.empty()) return std::optional<std::string>();  // a target never pushed
    return std::optional<std::string>(RelationCell(f, target.Get(0, 0)));
  }
  // A junction: its rows now, with the ones the changes touched put back as
  // the first change found them (an insert was not there; an update or
  // delete was, at its old position).
  const bool users = f.column.storage == Storage::kUserJunction;
  const std::string from = users ? "record_id" : "from_id";
  const std::string to = users ? "user_id" : "to_id";
  const std::string junction = QualifiedName(base.schema, f.relation_table);
  const std::string list =
      users ? "(SELECT jsonb_agg(b.k ORDER BY b.p, b.k) FROM b)::text"
            : fmt::format(
                  "(SELECT jsonb_agg(l.airtable_id ORDER BY b.p NULLS LAST, b.k::bigint) "
                  "FROM b JOIN {} l ON l.id = b.k::bigint)::text",
                  Target(base, f));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec(
          fmt::format(
              "WITH c AS (SELECT DISTINCT ON (k) k, operation, old_row FROM (SELECT "
              "coalesce(new_row ->> '{to}', old_row ->> '{to}') AS k, operation, old_row, "
              "outbox_id FROM airpg.outbox WHERE outbox_id = ANY($1::bigint[]) AND field_id = $2 "
              "AND row_id = $3::bigint) x WHERE k IS NOT NULL ORDER BY k, outbox_id), "
              "b AS (SELECT j.{to}::text AS k, j.position AS p FROM {junction} j WHERE "
              "j.{from} = $3::bigint AND j.{to}::text NOT IN (SELECT k FROM c) UNION ALL SELECT "
              "k, (old_row ->> 'position')::int FROM c WHERE operation <> 'INSERT') "
              "SELECT (SELECT count(*) FROM c), {list}",
              fmt::arg("to", to), fmt::arg("from", from), fmt::arg("junction", junction),
              fmt::arg("list", list)),
          {ids, f.field.id, std::to_string(row_id)}));
  if (rows.empty() || rows.Get(0, 0) == "0") return std::optional<std::string>();
  if (rows.IsNull(0, 1)) return std::optional<std::string>("null");
  return std::optional<std::string>(RelationCell(f, rows.Get(0, 1)));
}

Result<std::string> RelationAirtableCell(pg::Connection& conn, const mapping::FieldPlan& f,
                                         const std::string& canonical) {
  if (canonical == "null") return canonical;
  if (f.column.storage != Storage::kUser && f.column.storage != Storage::kUserJunction) {
    return canonical;  // links: the record ids are the cell
  }
  json ids = json::parse(canonical, nullptr, false);
  if (ids.is_string()) ids = json::array({ids});
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('id', i.id, "
                "'email', u.email, 'name', u.name)) ORDER BY i.n), '[]')::text FROM "
                "jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS i(id, n) LEFT JOIN "
                "airpg.users u ON u.user_id = i.id",
                {ids.dump()}));
  json cell = json::parse(rows.Get(0, 0), nullptr, false);
  if (f.column.storage == Storage::kUser) {
    return cell.is_array() && !cell.empty() ? cell[0].dump() : std::string("null");
  }
  return cell.dump();
}

}  // namespace airpg::sync
