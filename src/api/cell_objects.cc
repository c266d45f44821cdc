#include "api/cell_objects.h"

#include <fmt/core.h>

#include "base/sql_identifier.h"
#include "pg/outbox_keys.h"

namespace airpg::api {
namespace {

using mapping::Storage;

// One collaborator object in Airtable's key order; an unknown user keeps its id.
constexpr const char* kUserObject =
    "json_strip_nulls(json_build_object('id', {0}, 'email', nullif(u.email, ''), 'name', "
    "nullif(u.name, '')))";

}  // namespace

bool IsCellObjectField(const mapping::FieldPlan& f) {
  if (f.link_role != mapping::LinkRole::kNone) return false;
  return f.column.storage == Storage::kUser || f.column.storage == Storage::kUserJunction ||
         f.column.storage == Storage::kAttachments;
}

std::optional<std::string> CellObjectExpression(const std::string& schema,
                                                const mapping::TablePlan& table,
                                                const mapping::FieldPlan& f,
                                                std::vector<pg::Param>& params) {
  if (!IsCellObjectField(f)) return std::nullopt;
  switch (f.column.storage) {
    case Storage::kUser: {
      std::string col = "t." + QuoteIdentifier(f.column_name);
      return fmt::format(
          "(SELECT {} FROM (SELECT {} AS id) s LEFT JOIN airpg.users u ON u.user_id = s.id "
          "WHERE s.id IS NOT NULL)::text",
          fmt::format(kUserObject, "s.id"), col);
    }
    case Storage::kUserJunction:
      return fmt::format(
          "(SELECT json_agg({} ORDER BY j.position) FROM {} j LEFT JOIN airpg.users u ON "
          "u.user_id = j.user_id WHERE j.record_id = t.id)::text",
          fmt::format(kUserObject, "j.user_id"), QualifiedName(schema, f.relation_table));
    default:
      break;
  }
  // Attachments are filed under the record's id: Airtable's, or the id
  // reserved at its create through serve until the outbox pushed it.
  params.push_back(table.table_id);
  std::string record_id = pg::RecordIdSql("$" + std::to_string(params.size()));
  params.push_back(f.field.id);
  return fmt::format(
      "(SELECT json_agg(json_strip_nulls(json_build_object('id', coalesce(x.attachment_id, "
      "x.reserved_id), 'width', x.width, 'height', x.height, 'url', x.source_url, 'filename', "
      "x.filename, 'size', x.size, 'type', x.content_type)) ORDER BY x.position) "
      "FROM airpg.attachments x WHERE x.schema_name = $1 AND x.record_id = {} "
      "AND x.field_id = ${})::text",
      record_id, params.size());
}

}  // namespace airpg::api
