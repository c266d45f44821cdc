#include "mapping/computed_link.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/sql_identifier.h"

namespace airpg::mapping {

Result<LinkedRows> LinkSql::Rows(const TablePlan& t, const FieldPlan& f, const std::string& outer,
                                 int depth) const {
  nlohmann::json options = nlohmann::json::parse(f.field.options_json, nullptr, false);
  auto text = [&](const char* key) {
    return options.is_object() && options.contains(key) && options[key].is_string()
               ? options[key].get<std::string>()
               : std::string();
  };
  if (options.is_object() && options.contains("isValid") && options["isValid"] == false) {
    return UnimplementedError("Airtable marks the field invalid");
  }
  const FieldPlan* link = t.FindField(text("recordLinkFieldId"));
  if (link == nullptr) return UnimplementedError("its link field is gone");
  const TablePlan* linked = plan_.FindTable(link->linked_table_id);
  if (linked == nullptr || link->link_role == LinkRole::kUnlinkedIds) {
    return UnimplementedError("its link goes to a table that is not migrated");
  }
  LinkedRows rows;
  rows.linked = linked;
  if (f.field.type != airtable::FieldType::kCount) {
    rows.source = linked->FindField(text("fieldIdInLinkedTable"));
    if (rows.source == nullptr) return UnimplementedError("the looked-up field is gone");
  }
  rows.alias = fmt::format("l{}", depth);
  std::string l = QuoteIdentifier(rows.alias);
  std::string j = QuoteIdentifier(fmt::format("j{}", depth));
  std::string o = QuoteIdentifier(outer);
  std::string linked_table = QualifiedName(schema_, linked->table_name);
  switch (link->link_role) {
    case LinkRole::kJunction:
    case LinkRole::kJunctionInverse: {
      bool owner = link->link_role == LinkRole::kJunction;
      rows.from_where = fmt::format(
          "FROM {} AS {} JOIN {} AS {} ON {}.\"id\" = {}.{} WHERE {}.{} = {}.\"id\" AND "
          "{}.\"deleted_at\" IS NULL",
          QualifiedName(schema_, link->relation_table), j, linked_table, l, l, j,
          owner ? "\"to_id\"" : "\"from_id\"", j, owner ? "\"from_id\"" : "\"to_id\"", o, l);
      rows.order_by = fmt::format("{}.{} NULLS LAST, {}.\"id\"", j,
                                  owner ? "\"position\"" : "\"inverse_position\"", l);
      rows.agg_order = " ORDER BY " + rows.order_by;
      rows.many = true;
      rows.child_relation = link->relation_table;
      rows.child_column = owner ? "from_id" : "to_id";
      rows.linked_relation = linked->table_name;
      rows.junction_linked_column = owner ? "to_id" : "from_id";
      return rows;
    }
    case LinkRole::kForeignKey:
      rows.from_where =
          fmt::format("FROM {} AS {} WHERE {}.\"id\" = {}.{} AND {}.\"deleted_at\" IS NULL",
                      linked_table, l, l, o, QuoteIdentifier(link->column_name), l);
      rows.order_by = l + ".\"id\"";
      rows.agg_order = " ORDER BY " + rows.order_by;
      return rows;
    case LinkRole::kForeignKeyInverse: {
      const FieldPlan* fk = linked->FindField(link->inverse_field_id);
      if (fk == nullptr) return UnimplementedError("the other side of its link is gone");
      rows.from_where =
          fmt::format("FROM {} AS {} WHERE {}.{} = {}.\"id\" AND {}.\"deleted_at\" IS NULL",
                      linked_table, l, l, QuoteIdentifier(fk->column_name), o, l);
      rows.order_by = l + ".\"id\"";
      rows.agg_order = " ORDER BY " + rows.order_by;
      rows.many = true;
      rows.child_relation = linked->table_name;
      rows.child_column = fk->column_name;
      return rows;
    }
    default:
      return UnimplementedError("its link field is not a record link");
  }
}

}  // namespace airpg::mapping
