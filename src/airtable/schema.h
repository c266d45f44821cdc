// The Airtable wire model of a base's schema (Meta API, API.md §5): tables,
// fields and views, keyed by their stable ids. Field options are kept as the
// JSON Airtable sent, so no option of any type (known or not) is lost.
// Thread-compatible values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "airtable/field_type.h"
#include "base/result.h"

namespace airpg::airtable {

struct Field {
  std::string id;  // fld…
  std::string name;
  std::string type_name;  // as sent, also for types this build does not know
  FieldType type = FieldType::kUnknown;
  std::string description;
  std::string options_json;  // "" when the field has no options
};

struct View {
  std::string id;  // viw…
  std::string name;
  std::string type;  // grid, form, calendar, gallery, kanban, timeline, block
  std::vector<std::string> visible_field_ids;  // grid views, with include=visibleFieldIds
  std::string personal_for_user_id;
};

struct Table {
  std::string id;  // tbl…
  std::string name;
  std::string description;
  std::string primary_field_id;
  std::vector<Field> fields;
  std::vector<View> views;

  const Field* FindField(std::string_view id_or_name) const;
};

struct BaseSchema {
  std::vector<Table> tables;
  // By id first, then by exact name.
  const Table* FindTable(std::string_view id_or_name) const;
};

struct BaseInfo {
  std::string id;  // app…
  std::string name;
  std::string permission_level;
};

// One page of GET /v0/meta/bases: the bases and the offset of the next page
// ("" on the last).
struct BaseList {
  std::vector<BaseInfo> bases;
  std::string offset;
};

Result<BaseList> ParseBaseList(std::string_view body);

// Parses {"tables":[…]}. Malformed JSON or a missing id is kDataLoss.
Result<BaseSchema> ParseBaseSchema(std::string_view body);

}  // namespace airpg::airtable
