#include "airtable/wire/list_params.h"

#include <cstdlib>
#include <map>

#include "airtable/wire/json_read.h"

namespace airpg::airtable::wire {
namespace {

ApiResult<int> ParseInt(const std::string& name, const std::string& text) {
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') {
    return InvalidRequest(
        "Invalid request: parameter validation failed. Check your request data. "
        "(" +
        name + ")");
  }
  return static_cast<int>(value);
}

ApiResult<int> JsonInt(const std::string& name, const Json& value) {
  if (value.is_number_integer()) return value.get<int>();
  if (value.is_string()) return ParseInt(name, value.get<std::string>());
  return InvalidRequest();
}

// "sort[2][field]" → index 2, member "field"; false when not of that shape.
bool SortKey(const std::string& key, int* index, std::string* member) {
  if (key.rfind("sort[", 0) != 0) return false;
  size_t close = key.find(']');
  if (close == std::string::npos || key.size() < close + 3 || key[close + 1] != '[' ||
      key.back() != ']') {
    return false;
  }
  *index = std::atoi(key.substr(5, close - 5).c_str());
  *member = key.substr(close + 2, key.size() - close - 3);
  return true;
}

ApiResult<bool> Validate(ListParams& params) {
  if (params.page_size && *params.page_size > 100) {
    return Unprocessable("INVALID_PAGE_SIZE_ARGUMENT",
                         "The pageSize parameter must be a number less than or equal to 100");
  }
  if (params.cell_format != "json" && params.cell_format != "string") {
    return InvalidRequest("Invalid cellFormat: " + params.cell_format);
  }
  if (params.cell_format == "string" && (params.time_zone.empty() || params.user_locale.empty())) {
    return InvalidRequest(
        "Invalid request: timeZone and userLocale are required when cellFormat is string");
  }
  return true;
}

}  // namespace

bool ParseBool(const std::string& text) {
  return text == "true" || text == "1" || text == "True" || text == "TRUE";
}

ApiResult<ListParams> ParseListQuery(const http::QueryParams& query) {
  ListParams params;
  std::map<int, ListParams::Sort> sorts;
  for (const auto& [key, value] : query) {
    int index;
    std::string member;
    if (key == "pageSize" || key == "limit") {
      WIRE_ASSIGN_OR_RETURN(params.page_size, ParseInt(key, value));
    } else if (key == "maxRecords") {
      WIRE_ASSIGN_OR_RETURN(params.max_records, ParseInt(key, value));
    } else if (key == "offset") {
      params.offset = value;
    } else if (key == "fields[]" || key == "fields" || key.rfind("fields[", 0) == 0) {
      params.fields.push_back(value);
    } else if (key == "filterByFormula") {
      params.filter_by_formula = value;
    } else if (SortKey(key, &index, &member)) {
      if (member == "field") sorts[index].field = value;
      if (member == "direction") sorts[index].descending = value == "desc";
    } else if (key == "view") {
      params.view = value;
    } else if (key == "cellFormat") {
      params.cell_format = value;
    } else if (key == "timeZone") {
      params.time_zone = value;
    } else if (key == "userLocale") {
      params.user_locale = value;
    } else if (key == "returnFieldsByFieldId") {
      params.return_fields_by_field_id = ParseBool(value);
    } else if (key.rfind("recordMetadata", 0) == 0) {
      params.comment_count |= value == "commentCount";
    }
    // Anything else (method, unknown keys) is ignored; see docs/emulator.md.
  }
  for (auto& [index, sort] : sorts) params.sort.push_back(sort);
  WIRE_ASSIGN_OR_RETURN(bool valid, Validate(params));
  (void)valid;
  return params;
}

ApiResult<ListParams> ParseListBody(const Json& body, const http::QueryParams& query) {
  if (!body.is_object()) return InvalidRequest();
  ListParams params;
  for (const auto& [key, value] : body.items()) {
    if (key == "pageSize" || key == "limit") {
      WIRE_ASSIGN_OR_RETURN(params.page_size, JsonInt(key, value));
    } else if (key == "maxRecords") {
      WIRE_ASSIGN_OR_RETURN(params.max_records, JsonInt(key, value));
    } else if (key == "offset" && value.is_string()) {
      params.offset = value.get<std::string>();
    } else if (key == "fields") {
      if (!value.is_array()) return InvalidRequest();
      for (const Json& f : value) {
        if (!f.is_string()) return InvalidRequest();
        params.fields.push_back(f.get<std::string>());
      }
    } else if (key == "filterByFormula" && value.is_string()) {
      params.filter_by_formula = value.get<std::string>();
    } else if (key == "sort") {
      if (!value.is_array()) return InvalidRequest();
      for (const Json& s : value) {
        if (!MemberAt(s, "field").is_string()) return InvalidRequest();
        params.sort.push_back({StringAt(s, "field"), StringAt(s, "direction", "asc") == "desc"});
      }
    } else if (key == "view" && value.is_string()) {
      params.view = value.get<std::string>();
    } else if (key == "cellFormat" && value.is_string()) {
      params.cell_format = value.get<std::string>();
    } else if (key == "timeZone" && value.is_string()) {
      params.time_zone = value.get<std::string>();
    } else if (key == "userLocale" && value.is_string()) {
      params.user_locale = value.get<std::string>();
    } else if (key == "returnFieldsByFieldId") {
      params.return_fields_by_field_id =
          value.is_boolean() ? value.get<bool>() : (value.is_number() && value.get<int>() != 0);
    } else if (key == "recordMetadata") {
      if (value.is_string()) params.comment_count = value == "commentCount";
      if (value.is_array()) {
        for (const Json& m : value) params.comment_count |= m == "commentCount";
      }
    }
  }
  for (const auto& [key, value] : query) {
    if (key == "timeZone") params.time_zone = value;
    if (key == "userLocale") params.user_locale = value;
  }
  WIRE_ASSIGN_OR_RETURN(bool valid, Validate(params));
  (void)valid;
  return params;
}

}  // namespace airpg::airtable::wire
