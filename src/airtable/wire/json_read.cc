#include "airtable/wire/json_read.h"

namespace airpg::airtable::wire {

const Json& MemberAt(const Json& object, std::string_view key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(std::string(key));
  return it == object.end() ? kNull : *it;
}

std::string StringAt(const Json& object, std::string_view key, std::string_view fallback) {
  const Json& value = MemberAt(object, key);
  return value.is_string() ? value.get<std::string>() : std::string(fallback);
}

bool BoolAt(const Json& object, std::string_view key, bool fallback) {
  const Json& value = MemberAt(object, key);
  return value.is_boolean() ? value.get<bool>() : fallback;
}

int64_t IntAt(const Json& object, std::string_view key, int64_t fallback) {
  const Json& value = MemberAt(object, key);
  return value.is_number_integer() ? value.get<int64_t>() : fallback;
}

std::vector<std::string> StringsAt(const Json& object, std::string_view key) {
  std::vector<std::string> out;
  const Json& value = MemberAt(object, key);
  if (!value.is_array()) return out;
  for (const Json& item : value) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

std::string AsString(const Json& value) {
  return value.is_string() ? value.get<std::string>() : std::string();
}

}  // namespace airpg::airtable::wire
