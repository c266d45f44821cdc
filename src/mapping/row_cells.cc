#include "mapping/row_cells.h"

#include <fmt/core.h>

#include "base/sql_array.h"
#include "base/sql_identifier.h"
#include "mapping/cell_value.h"
#include "mapping/relation_cells.h"

namespace airpg::mapping {

bool IsLinkField(const FieldPlan& f) {
  return f.link_role != LinkRole::kNone && f.link_role != LinkRole::kUnlinkedIds;
}

std::string CellExpression(std::string_view schema, const SchemaPlan& plan, const FieldPlan& f,
                           std::vector<std::optional<std::string>>& params) {
  auto name = [&](std::string_view t) { return QualifiedName(schema, t); };
  std::string col = "t." + QuoteIdentifier(f.column_name);
  const TablePlan* to = f.linked_table_id.empty() ? nullptr : plan.FindTable(f.linked_table_id);
  switch (f.link_role) {
    case LinkRole::kForeignKey:
      return fmt::format("(SELECT ARRAY[b.airtable_id] FROM {} b WHERE b.id = {})::text",
                         name(to->table_name), col);
    case LinkRole::kForeignKeyInverse: {
      const FieldPlan* owner = plan.FindField(f.inverse_field_id).second;
      return fmt::format(
          "(SELECT array_agg(a.airtable_id ORDER BY a.airtable_id) FROM {} a WHERE a.{} = t.id AND "
          "a.deleted_at IS NULL)"
          "::text",
          name(to->table_name), QuoteIdentifier(owner->column_name));
    }
    case LinkRole::kJunction:
      return fmt::format(
          "(SELECT array_agg(b.airtable_id ORDER BY j.position NULLS LAST, b.airtable_id) "
          "FROM {} j JOIN {} b ON b.id = j.to_id WHERE j.from_id = t.id)::text",
          name(f.relation_table), name(to->table_name));
    case LinkRole::kJunctionInverse:
      return fmt::format(
          "(SELECT array_agg(a.airtable_id ORDER BY j.inverse_position NULLS LAST, "
          "a.airtable_id) FROM {} j JOIN {} a ON a.id = j.from_id WHERE j.to_id = t.id)::text",
          name(f.relation_table), name(to->table_name));
    default:
      break;
  }
  if (f.column.storage == Storage::kUserJunction) {
    return fmt::format(
        "(SELECT array_agg(u.user_id ORDER BY u.position) FROM {} u WHERE u.record_id = t.id)"
        "::text",
        name(f.relation_table));
  }
  if (f.column.storage == Storage::kAttachments) {
    params.push_back(f.field.id);
    return fmt::format(
        "(SELECT json_agg(json_strip_nulls(json_build_object('id', x.attachment_id, 'filename', "
        "x.filename, 'size', x.size, 'type', x.content_type)) ORDER BY x.position) "
        "FROM airpg.attachments x WHERE x.schema_name = $1 AND x.record_id = t.airtable_id "
        "AND x.field_id = ${})::text",
        params.size());
  }
  return col + "::text";
}

Result<std::optional<std::string>> CellFromText(const FieldPlan& f,
                                                std::optional<std::string_view> text) {
  using Out = std::optional<std::string>;
  bool link = IsLinkField(f);
  if (link || f.column.storage == Storage::kUserJunction) {
    if (!text) return Out();
    AIRPG_ASSIGN_OR_RETURN(auto items, ParseArray(*text));
    std::vector<std::string> ids;
    for (auto& i : items) ids.push_back(i.value_or(""));
    if (link) return Out(LinkCellJson(ids));
    std::vector<Collaborator> users;
    for (auto& id : ids) users.push_back({id, std::nullopt, std::nullopt});
    return Out(CollaboratorCellJson(f.field.type, users));
  }
  if (f.column.storage == Storage::kAttachments) {
    return text ? Out(std::string(*text)) : Out();
  }
  if (f.column.storage == Storage::kUser) {
    if (!text) return Out();
    return Out(CollaboratorCellJson(f.field.type, {{std::string(*text), {}, {}}}));
  }
  PgValue value;
  if (text) {
    if (f.column.sql_type.ends_with("[]")) {
      AIRPG_ASSIGN_OR_RETURN(auto items, ParseArray(*text));
      value = PgValue::Array(std::move(items));
    } else {
      value = PgValue::Scalar(std::string(*text));
    }
  }
  return PgToCell(f.field, f.column, value);
}

}  // namespace airpg::mapping
