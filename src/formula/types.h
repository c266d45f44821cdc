// Types: the static result types of formula expressions, the table schema
// the type checker and the SQL compiler read, and how each Airtable field
// type appears to formulas. Thread-compatible value types.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace airpg::formula {

enum class Type {
  kBlank,   // only ever blank (BLANK())
  kNumber,  // number, percent, currency, duration, rating, count, autoNumber
  kText,    // text-like fields and text functions
  kBool,    // checkbox, comparisons, logical functions
  kDate,    // date, dateTime, createdTime, lastModifiedTime
  kArray,   // multipleSelects, links, lookups, attachments, collaborators
  kAny,     // not known before run time
};

std::string_view TypeName(Type type);

// One field of the table a formula runs against.
struct FieldInfo {
  std::string id;           // "fld…"
  std::string name;         // as shown in Airtable, case-sensitive
  std::string type;         // Airtable field type ("number", "singleLineText", …)
  std::string result_type;  // for formula/rollup/lookup: the result's field type, else ""
};

// The fields of one table. References resolve by name first, then by id.
class Schema {
 public:
  Schema() = default;
  explicit Schema(std::vector<FieldInfo> fields) : fields_(std::move(fields)) {}
  void Add(FieldInfo field) { fields_.push_back(std::move(field)); }
  const FieldInfo* Find(std::string_view name_or_id) const;
  const std::vector<FieldInfo>& fields() const { return fields_; }

 private:
  std::vector<FieldInfo> fields_;
};

// The formula type of a field's cell values.
Type TypeOfField(const FieldInfo& field);
// The formula type of an Airtable field type name (no formula/rollup lookup).
Type TypeOfFieldType(std::string_view airtable_type);

}  // namespace airpg::formula
