#include <simdjson.h>

#include <algorithm>

#include "mapping/type_rules.h"

namespace airpg::mapping {

Result<FieldOptions> ParseFieldOptions(std::string_view options_json) {
  FieldOptions out;
  if (options_json.empty()) return out;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(options_json.data(), options_json.size()).get(root) != simdjson::SUCCESS ||
      !root.is_object()) {
    return InvalidArgumentError("field options are not a JSON object");
  }
  int64_t n;
  if (root["precision"].get_int64().get(n) == simdjson::SUCCESS)
    out.precision = static_cast<int>(n);
  if (root["max"].get_int64().get(n) == simdjson::SUCCESS) out.rating_max = static_cast<int>(n);
  std::string_view s;
  if (root["durationFormat"].get_string().get(s) == simdjson::SUCCESS) out.duration_format = s;
  bool b;
  if (root["prefersSingleRecordLink"].get_bool().get(b) == simdjson::SUCCESS) {
    out.prefers_single_record_link = b;
  }
  if (root["linkedTableId"].get_string().get(s) == simdjson::SUCCESS) out.linked_table_id = s;
  if (root["inverseLinkFieldId"].get_string().get(s) == simdjson::SUCCESS) {
    out.inverse_link_field_id = s;
  }
  if (root["timeZone"].get_string().get(s) == simdjson::SUCCESS) out.time_zone = s;
  simdjson::dom::array choices;
  if (root["choices"].get_array().get(choices) == simdjson::SUCCESS) {
    for (simdjson::dom::element choice : choices) {
      if (choice["name"].get_string().get(s) == simdjson::SUCCESS) {
        out.longest_choice = std::max(out.longest_choice, s.size());
      }
    }
  }
  if (root["isValid"].get_bool().get(b) == simdjson::SUCCESS) out.is_valid = b;
  simdjson::dom::array referenced;
  if (root["referencedFieldIds"].get_array().get(referenced) == simdjson::SUCCESS) {
    out.referenced_fields = referenced.size();
  }
  simdjson::dom::element result;
  if (root["result"].get(result) == simdjson::SUCCESS && result.is_object()) {
    if (result["type"].get_string().get(s) == simdjson::SUCCESS) out.result_type = s;
    simdjson::dom::element options;
    if (result["options"].get(options) == simdjson::SUCCESS && options.is_object()) {
      out.result_options_json = simdjson::minify(options);
    }
  }
  return out;
}

}  // namespace airpg::mapping
