#include "airtable/dom.h"

#include <fmt/core.h>

namespace airpg::airtable::dom {

Result<element> Parse(std::string_view body, std::string_view what) {
  thread_local simdjson::dom::parser parser;
  element root;
  auto error = parser.parse(body.data(), body.size()).get(root);
  if (error != simdjson::SUCCESS) {
    return Malformed(what, fmt::format("not valid JSON ({}; {} bytes)",
                                       simdjson::error_message(error), body.size()));
  }
  return root;
}

std::string String(element obj, std::string_view key) {
  std::string_view value;
  if (obj[key].get_string().get(value) != simdjson::SUCCESS) return "";
  return std::string(value);
}

int64_t Int(element obj, std::string_view key, int64_t fallback) {
  int64_t value;
  if (obj[key].get_int64().get(value) != simdjson::SUCCESS) return fallback;
  return value;
}

Status Malformed(std::string_view what, std::string_view why) {
  return DataLossError(fmt::format("{}: {}", what, why));
}

}  // namespace airpg::airtable::dom
