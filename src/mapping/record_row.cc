#include "mapping/record_row.h"

#include <fmt/core.h>

#include <algorithm>

#include "base/json_escape.h"
#include "mapping/cell_json.h"

namespace airpg::mapping {
namespace {

bool IsColumnField(const FieldPlan& f) {
  return f.HasColumn() && f.link_role != LinkRole::kForeignKey;
}

// The value a column gets when its cell is rejected: NULL, or the column's
// default when it is NOT NULL (a checkbox: false).
PgValue Fallback(const FieldPlan& f) {
  return f.column.not_null ? PgValue::Scalar(f.column.default_sql) : PgValue::Null();
}

// Converts a column-stored cell; an error means the cell is rejected.
Result<PgValue> ColumnValue(const FieldPlan& f, std::optional<std::string_view> cell,
                            RecordRow& row) {
  if (f.column.storage != Storage::kUser) return CellToPg(f.field, f.column, cell);
  if (!cell) return PgValue::Null();
  AIRPG_ASSIGN_OR_RETURN(auto users, ParseCollaboratorCell(f.field.type, *cell));
  if (users.size() != 1) return InvalidArgumentError("expected one collaborator");
  row.users.push_back(users[0]);
  return PgValue::Scalar(users[0].id);
}

// Collects the references (or attachments) of a relation-stored cell.
Status RelationCell(const FieldPlan& f, std::string_view cell, RecordRow& row) {
  switch (f.link_role) {
    case LinkRole::kForeignKey:
    case LinkRole::kJunction:
    case LinkRole::kJunctionInverse: {
      AIRPG_ASSIGN_OR_RETURN(auto ids, ParseLinkCell(cell));
      size_t keep =
          f.link_role == LinkRole::kForeignKey ? std::min<size_t>(ids.size(), 1) : ids.size();
      for (size_t i = 0; i < keep; ++i) {
        row.references.push_back({f.field.id, static_cast<int>(i), ids[i]});
      }
      for (size_t i = keep; i < ids.size(); ++i) {
        row.dropped_links.push_back({f.field.id, static_cast<int>(i), ids[i]});
      }
      if (keep < ids.size()) {
        return InvalidArgumentError(
            fmt::format("single-record link holds {} records; only the first ({}) is kept",
                        ids.size(), ids[0]));
      }
      return Status::Ok();
    }
    case LinkRole::kForeignKeyInverse: {
      // Stored by the other side's foreign key; kept as references so a
      // change seen only on this side (a record linked from here) can be
      // applied to that key. Order is not kept (a FK has none).
      AIRPG_ASSIGN_OR_RETURN(auto ids, ParseLinkCell(cell));
      for (size_t i = 0; i < ids.size(); ++i) {
        row.references.push_back({f.field.id, static_cast<int>(i), ids[i]});
      }
      return Status::Ok();
    }
    default:
      break;
  }
  if (f.column.storage == Storage::kUserJunction) {
    AIRPG_ASSIGN_OR_RETURN(auto users, ParseCollaboratorCell(f.field.type, cell));
    for (size_t i = 0; i < users.size(); ++i) {
      row.references.push_back({f.field.id, static_cast<int>(i), users[i].id});
      row.users.push_back(std::move(users[i]));
    }
    return Status::Ok();
  }
  if (f.column.storage == Storage::kAttachments) {
    AIRPG_ASSIGN_OR_RETURN(auto attachments, ParseAttachmentCell(cell));
    for (size_t i = 0; i < attachments.size(); ++i) {
      row.attachments.push_back({f.field.id, static_cast<int>(i), std::move(attachments[i])});
    }
  }
  return Status::Ok();
}

}  // namespace

void RecordRow::Reject(std::string field_id, std::optional<std::string_view> cell,
                       std::string reason) {
  rejected_fields.insert(field_id);
  rejects.push_back({std::move(field_id),
                     cell ? std::optional<std::string>(std::string(*cell)) : std::nullopt,
                     std::move(reason)});
}

// {"fld…": <error JSON>, …}; field ids need no escaping but get it anyway.
std::string CellErrorsJson(
    const std::vector<std::pair<std::string_view, std::string_view>>& errors) {
  std::string out = "{";
  for (const auto& [field_id, error] : errors) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += JsonEscape(field_id);
    out += "\":";
    out += error;
  }
  return out + "}";
}

Result<std::map<std::string, std::string, std::less<>>> ParseCellErrors(std::string_view json) {
  AIRPG_ASSIGN_OR_RETURN(JsonNode node, ParseCellJson(json));
  if (node.kind != JsonNode::Kind::kObject) {
    return InvalidArgumentError("airpg_cell_errors is not an object");
  }
  std::map<std::string, std::string, std::less<>> out;
  for (const JsonMember& member : node.members) out[member.key] = CanonicalJson(member.value);
  return out;
}

std::vector<const FieldPlan*> ColumnFields(const TablePlan& table) {
  std::vector<const FieldPlan*> out;
  for (const auto& f : table.fields) {
    if (IsColumnField(f)) out.push_back(&f);
  }
  return out;
}

RecordRow ConvertRecord(const TablePlan& table, const airtable::Record& record) {
  RecordRow row;
  row.record_id = record.id;
  row.created_time = record.created_time;
  // Copies: the values move into row.columns, and a short string's bytes
  // move with it.
  std::vector<std::pair<std::string_view, std::string>> errors;
  for (const FieldPlan& f : table.fields) {
    std::optional<std::string_view> cell = record.Cell(f.field.id);
    if (IsColumnField(f)) {
      Result<PgValue> value = ColumnValue(f, cell, row);
      if (value.ok()) {
        if (value->cell_error) errors.emplace_back(f.field.id, *value->cell_error);
        if (f.field.id == table.modified_time_field_id && !value->is_null) {
          row.modified_time = value->text;
        }
        row.columns.push_back(std::move(*value));
      } else {
        row.columns.push_back(Fallback(f));
        row.Reject(f.field.id, cell, std::string(value.status().message()));
      }
      continue;
    }
    if (!cell) continue;
    Status s = RelationCell(f, *cell, row);
    if (!s.ok()) row.Reject(f.field.id, cell, std::string(s.message()));
  }
  if (!errors.empty()) {
    std::vector<std::pair<std::string_view, std::string_view>> views(errors.begin(), errors.end());
    row.cell_errors = CellErrorsJson(views);
  }
  return row;
}

}  // namespace airpg::mapping
