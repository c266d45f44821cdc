// Type rules: the one table that says how each Airtable field type (and
// option combination) is stored in Postgres — column type, NOT NULL, CHECK,
// index, or a relation instead of a column — after pgloader's casting rules.
// docs/type-mapping.md is generated from this table (and a test keeps it so).
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "airtable/field_type.h"
#include "airtable/schema.h"
#include "base/result.h"
#include "mapping/cell_converter.h"

namespace airpg::mapping {

// Where a field's values live.
enum class Storage {
  kColumn,        // one column of `sql_type` in the table
  kForeignKey,    // single-record link: bigint column, deferrable FK to the linked table's id
  kJunction,      // multi-record link: ordered junction (from_id, to_id, position), one per pair
  kChoice,        // single select: text column, FK to the field's choices table
  kChoiceArray,   // multiple selects: text[] column with a GIN index
  kUser,          // collaborator: text column, FK to airpg.users(id)
  kUserJunction,  // multiple collaborators: ordered junction to airpg.users
  kAttachments,   // rows of airpg.attachments; bytes in the content store
};

std::string_view StorageName(Storage storage);

// The plan for one field.
struct ColumnPlan {
  Storage storage = Storage::kColumn;
  std::string sql_type;  // for the column storages; "" for junctions and attachments
  bool not_null = false;
  std::string default_sql;  // e.g. "false"
  // CHECK over the column written as {col}; "" for none.
  std::string check;
  // What the cell converter enforces so that no value it passes can fail
  // the CHECK (which is added after the load, in the finish step; one value
  // breaking it would fail the whole run): integer bounds (rating 1..max)
  // and, for jsonb, a key the object must have (barcode: "text").
  std::optional<int64_t> min_value, max_value;
  std::string required_key;
  bool gin_index = false;
  // How a cell crosses (nullptr for relation storages); with cell_array the
  // column is an array of it (lookups, multiple selects, unmigrated links),
  // and a null element is a NULL element.
  const CellConverter* cell = nullptr;
  bool cell_array = false;
  // The zone a computed `date` result's instant is read in (field options).
  std::string time_zone;
  bool read_only = false;  // computed in Airtable: never written back
  std::string rule;        // which rule matched, for docs and errors
  std::string warning;     // set when the plan is a fallback (unknown type, broken formula)
};

// Field options read for planning (API.md §5.3), from Field::options_json.
struct FieldOptions {
  int precision = -1;  // number/percent/currency; -1 absent (display only)
  int rating_max = 5;
  std::string duration_format;
  bool prefers_single_record_link = false;
  std::string linked_table_id;
  std::string inverse_link_field_id;
  std::string result_type;          // formula/rollup/lookup/created/modified time
  std::string result_options_json;  // the result's own options
  std::string time_zone;            // date/dateTime results: "utc", "client", IANA
  size_t longest_choice = 0;        // selects: bytes of the longest listed choice
  bool is_valid = true;
  // lastModifiedTime/formula: how many fields `referencedFieldIds` lists (0
  // for an empty list or none: a lastModifiedTime field then watches every field).
  size_t referenced_fields = 0;
};

Result<FieldOptions> ParseFieldOptions(std::string_view options_json);

struct TypeRule {
  airtable::FieldType type;
  std::string_view when;  // the option condition in words; "" = always
  bool (*matches)(const FieldOptions&);
  ColumnPlan (*plan)(const FieldOptions&);
  std::string_view notes;
};

// The rules, most specific first within a type. User overrides (a later
// issue) are consulted before these.
const std::vector<TypeRule>& TypeRules();

// The plan for a field: the first matching rule; formula, rollup and lookup
// fields are planned by their result type (read-only); a type this build
// does not know, or a broken formula, becomes jsonb with a warning — never
// a failure. Bad options JSON is kInvalidArgument.
Result<ColumnPlan> PlanField(const airtable::Field& field);

// The rule table as the Markdown of docs/type-mapping.md.
std::string TypeMappingMarkdown();

}  // namespace airpg::mapping
