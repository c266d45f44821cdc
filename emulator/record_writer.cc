#include "emulator/record_writer.h"

#include <algorithm>

#include "emulator/wire.h"

namespace airpg::emulator {
namespace {

Json LinksOf(const Json& cells, const std::string& field_id) {
  auto it = cells.find(field_id);
  return it == cells.end() || !it->is_array() ? Json::array() : *it;
}

bool Contains(const Json& array, const std::string& id) {
  return std::find(array.begin(), array.end(), Json(id)) != array.end();
}

// Adds or removes `record_id` in the inverse link cell of `linked_record_id`.
void SetInverse(Table& linked, const std::string& inverse_field_id,
                const std::string& linked_record_id, const std::string& record_id, bool present) {
  Record* other = linked.FindRecord(linked_record_id);
  if (other == nullptr) return;
  Json links = LinksOf(other->cells, inverse_field_id);
  if (present && !Contains(links, record_id)) links.push_back(record_id);
  if (!present) links.erase(std::remove(links.begin(), links.end(), Json(record_id)), links.end());
  if (links.empty()) {
    other->cells.erase(inverse_field_id);
  } else {
    other->cells[inverse_field_id] = links;
  }
}

}  // namespace

ApiResult<Json> ComputeCells(const CellWriteContext& ctx, const Record& record, const Json& fields,
                             WriteMode mode) {
  if (!fields.is_object()) {
    return Unprocessable("INVALID_REQUEST_MISSING_FIELDS",
                         "Could not find field \"fields\" in the request body");
  }
  Json cells = record.cells;
  if (mode == WriteMode::kReplace) {
    for (const Field& field : ctx.table.fields) {
      if (!airtable::IsComputed(field.kind())) cells.erase(field.id);
    }
  }
  for (const auto& [key, value] : fields.items()) {
    Field* field = ctx.table.FindField(key);
    if (field == nullptr) return UnknownFieldName(key);
    auto existing = record.cells.find(field->id);
    EMU_ASSIGN_OR_RETURN(
        Json stored,
        NormalizeCell(ctx, *field, value, existing == record.cells.end() ? Json() : *existing));
    if (stored.is_null()) {
      cells.erase(field->id);
    } else {
      cells[field->id] = std::move(stored);
    }
  }
  return cells;
}

void ApplyCells(Base& base, Table& table, Record& record, Json cells, int64_t now_millis) {
  for (const Field& field : table.fields) {
    if (field.kind() != airtable::FieldType::kMultipleRecordLinks) continue;
    std::string inverse = StringAt(field.options, "inverseLinkFieldId");
    Table* linked = base.FindTable(StringAt(field.options, "linkedTableId"));
    if (inverse.empty() || linked == nullptr) continue;
    Json before = LinksOf(record.cells, field.id);
    Json after = LinksOf(cells, field.id);
    for (const Json& id : before) {
      if (!Contains(after, id)) SetInverse(*linked, inverse, AsString(id), record.id, false);
    }
    for (const Json& id : after) {
      if (!Contains(before, id)) SetInverse(*linked, inverse, AsString(id), record.id, true);
    }
  }
  record.cells = std::move(cells);
  record.modified_millis = now_millis;
}

void UnlinkEverywhere(Base& base, const std::string& table_id, const std::string& record_id) {
  for (Table& table : base.tables) {
    for (const Field& field : table.fields) {
      if (field.kind() != airtable::FieldType::kMultipleRecordLinks ||
          StringAt(field.options, "linkedTableId") != table_id) {
        continue;
      }
      for (Record& other : table.records) {
        auto it = other.cells.find(field.id);
        if (it == other.cells.end() || !it->is_array()) continue;
        it->erase(std::remove(it->begin(), it->end(), Json(record_id)), it->end());
        if (it->empty()) other.cells.erase(it);
      }
    }
  }
}

}  // namespace airpg::emulator
