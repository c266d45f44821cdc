// ListParams: the parameters of a list-records request (API.md §2.1–2.2),
// read from the query string of GET or from the JSON body of POST
// .../listRecords (timeZone/userLocale may sit in either; the query wins).
// Accepts what official clients send: bracketed keys, `limit`, `method`,
// recordMetadata as a string or array, booleans as true/false/1/0.
// Thread-compatible value.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "airtable/wire/api_error.h"
#include "airtable/wire/json_read.h"
#include "http/url.h"

namespace airpg::airtable::wire {

struct ListParams {
  struct Sort {
    std::string field;  // name or id, as sent
    bool descending = false;
  };
  std::optional<int> page_size;
  std::optional<int> max_records;
  std::string offset;
  std::vector<std::string> fields;  // names or ids, as sent
  std::string filter_by_formula;
  std::vector<Sort> sort;
  std::string view;
  std::string cell_format = "json";
  std::string time_zone;
  std::string user_locale;
  bool return_fields_by_field_id = false;
  bool comment_count = false;
};

ApiResult<ListParams> ParseListQuery(const http::QueryParams& query);
ApiResult<ListParams> ParseListBody(const Json& body, const http::QueryParams& query);

// Parses true/false/1/0 (any case); false for anything else.
bool ParseBool(const std::string& text);

}  // namespace airpg::airtable::wire
