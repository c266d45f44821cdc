#include "sync/outbox_typecast.h"

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "airtable/field_type.h"

namespace airpg::sync {

bool NeedsTypecast(const mapping::FieldPlan& field, std::string_view cell_json) {
  const airtable::FieldType type = field.field.type;
  if (type != airtable::FieldType::kSingleSelect && type != airtable::FieldType::kMultipleSelects) {
    return false;
  }
  nlohmann::json cell = nlohmann::json::parse(cell_json, nullptr, false);
  std::vector<std::string> values;
  if (cell.is_string()) values.push_back(cell.get<std::string>());
  for (const auto& v : cell.is_array() ? cell : nlohmann::json::array()) {
    if (v.is_string()) values.push_back(v.get<std::string>());
  }
  if (values.empty()) return false;
  std::set<std::string> choices;
  nlohmann::json options = nlohmann::json::parse(field.field.options_json, nullptr, false);
  if (options.is_object() && options.value("choices", nlohmann::json()).is_array()) {
    for (const auto& c : options["choices"]) {
      if (c.is_object() && c.value("name", nlohmann::json()).is_string()) {
        choices.insert(c["name"].get<std::string>());
      }
    }
  }
  for (const auto& v : values) {
    if (!choices.count(v)) return true;
  }
  return false;
}

}  // namespace airpg::sync
