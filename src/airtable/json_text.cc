#include "airtable/json_text.h"

namespace airpg::airtable {

bool IsJsonNumber(std::string_view raw) {
  size_t i = 0, n = raw.size();
  auto digits = [&] {
    size_t start = i;
    while (i < n && raw[i] >= '0' && raw[i] <= '9') ++i;
    return i > start;
  };
  if (i < n && raw[i] == '-') ++i;
  if (i < n && raw[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n && raw[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (raw[i] == 'e' || raw[i] == 'E')) {
    ++i;
    if (i < n && (raw[i] == '+' || raw[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

std::string_view TrimmedToken(simdjson::ondemand::value& value) {
  std::string_view raw = value.raw_json_token();
  while (!raw.empty() &&
         (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
    raw.remove_suffix(1);
  }
  return raw;
}

}  // namespace airpg::airtable
