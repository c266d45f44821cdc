#include "formula/json_value.h"

#include <simdjson.h>

#include <fmt/core.h>

namespace airpg::formula {
namespace {

// simdjson's DOM → the formula's value model (document order kept).
JsonValue Convert(simdjson::dom::element e) {
  JsonValue v;
  switch (e.type()) {
    case simdjson::dom::element_type::NULL_VALUE:
      break;
    case simdjson::dom::element_type::BOOL:
      v.kind = JsonValue::Kind::kBool;
      v.boolean = bool(e);
      break;
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
      v.kind = JsonValue::Kind::kNumber;
      v.number = double(e);
      v.text = simdjson::minify(e);
      break;
    case simdjson::dom::element_type::STRING:
      v.kind = JsonValue::Kind::kString;
      v.text = std::string(std::string_view(e));
      break;
    case simdjson::dom::element_type::ARRAY:
      v.kind = JsonValue::Kind::kArray;
      for (simdjson::dom::element item : simdjson::dom::array(e)) v.items.push_back(Convert(item));
      break;
    case simdjson::dom::element_type::OBJECT:
      v.kind = JsonValue::Kind::kObject;
      for (auto [key, value] : simdjson::dom::object(e)) {
        v.members.push_back(JsonMember{std::string(key), Convert(value)});
      }
      break;
  }
  return v;
}

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (const auto& [name, value] : members) {
    if (name == key) return &value;
  }
  return nullptr;
}

Result<JsonValue> ParseJson(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(text.data(), text.size()).get(root)) {
    return InvalidArgumentError(fmt::format("invalid JSON: {}", simdjson::error_message(error)));
  }
  return Convert(root);
}

}  // namespace airpg::formula
