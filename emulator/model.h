// The emulator's in-memory Airtable: bases → tables → fields, views and
// records. Cells are stored in the REST read format ("V1", API.md §5.3) keyed
// by field id; an empty cell is absent. nlohmann::json is used for cell values
// and field options because they are open-ended JSON on the wire; this header
// is included only inside emulator/.
// Thread-compatible: the Emulator guards its one Model with a mutex.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "airtable/field_type.h"
#include "emulator/cell_rules.h"

namespace airpg::emulator {

// Ordered, so responses keep Airtable's key order (id, createdTime, fields; fields in
// table order).
using Json = nlohmann::ordered_json;

struct Field {
  std::string id;
  std::string name;
  std::string type;  // wire name, kept as given so unknown types survive
  std::string description;
  Json options;  // null when the field has none

  // The parsed type; cached because rendering asks for it once per cell.
  airtable::FieldType kind() const {
    if (kind_for_ != type) {
      kind_ = airtable::ParseFieldType(type);
      kind_for_ = type;
    }
    return kind_;
  }

 private:
  mutable airtable::FieldType kind_ = airtable::FieldType::kUnknown;
  mutable std::string kind_for_;  // the `type` that kind_ was parsed from
};

struct SortSpec {
  std::string field_id;
  bool descending = false;
};

struct View {
  std::string id;
  std::string name;
  std::string type = "grid";
  std::vector<std::string> visible_field_ids;  // grid views; empty = all fields
  std::string filter_formula;                  // emulator extension: the view's filter
  std::vector<SortSpec> sort;                  // emulator extension: the view's sort
  std::vector<std::string> manual_order;       // record ids; empty = table order
};

struct Record {
  std::string id;
  int64_t created_millis = 0;
  int64_t modified_millis = 0;
  Json cells = Json::object();  // field id → V1 value; empty cells absent
  int comment_count = 0;

  // The plain rendering of this record (all fields, cellFormat json), keyed
  // by name [0] or field id [1], valid while its generation equals
  // Model::generation. See record_cache.h.
  mutable std::string rendered[2];
  mutable uint64_t rendered_generation[2] = {0, 0};
};

struct Table {
  std::string id;
  std::string name;
  std::string description;
  std::string primary_field_id;
  std::vector<Field> fields;
  std::vector<View> views;
  std::vector<Record> records;  // table order = insertion order
  int64_t next_auto_number = 1;

  // By id first, then exact (case-sensitive) name; nullptr if absent.
  const Field* FindField(std::string_view id_or_name) const;
  Field* FindField(std::string_view id_or_name);
  const View* FindView(std::string_view id_or_name) const;
  // Record lookup by id through an index kept by AddRecord/RemoveRecord.
  const Record* FindRecord(std::string_view record_id) const;
  Record* FindRecord(std::string_view record_id);
  Record& AddRecord(Record record);
  bool RemoveRecord(std::string_view record_id);
  void RebuildIndex();

 private:
  std::unordered_map<std::string, size_t> record_index_;
};

struct Collaborator {
  std::string id;
  std::string email;
  std::string name;
};

struct Base {
  std::string id;
  std::string name;
  std::string permission_level = "create";
  std::vector<Table> tables;
  std::vector<Collaborator> collaborators;
  int64_t transaction_number = 0;
  // How UNCONFIRMED cells render; EmulatorOptions::cell_rules, copied in by
  // Service::Install (not part of the data file).
  CellRules cell_rules;

  // By id first, then exact name; nullptr if absent.
  Table* FindTable(std::string_view id_or_name);
  const Collaborator* FindCollaborator(std::string_view id_or_email) const;
};

struct Model {
  Collaborator user;  // the token's user (whoami)
  std::vector<Base> bases;
  // Bumped by every request that may change anything; cached renderings of
  // older generations are stale. Starts at 1 so a zeroed cache is stale.
  uint64_t generation = 1;
  Base* FindBase(std::string_view base_id);
};

}  // namespace airpg::emulator
