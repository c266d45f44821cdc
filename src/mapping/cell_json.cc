#include "mapping/cell_json.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>

#include <fmt/core.h>

#include "base/json_escape.h"
#include "mapping/decimal_text.h"

namespace airpg::mapping {
namespace {

namespace od = simdjson::ondemand;

Status NotJson(simdjson::error_code e) {
  return InvalidArgumentError(fmt::format("the cell is not JSON ({})", simdjson::error_message(e)));
}

// Builds the tree for one value; every scalar is read (so validated) once.
Status Build(od::value value, JsonNode& out) {
  od::json_type type;
  if (auto e = value.type().get(type)) return NotJson(e);
  switch (type) {
    case od::json_type::array: {
      out.kind = JsonNode::Kind::kArray;
      od::array array;
      if (auto e = value.get_array().get(array)) return NotJson(e);
      for (auto item : array) {
        od::value v;
        if (auto e = item.get(v)) return NotJson(e);
        AIRPG_RETURN_IF_ERROR(Build(v, out.items.emplace_back()));
      }
      return Status::Ok();
    }
    case od::json_type::object: {
      out.kind = JsonNode::Kind::kObject;
      od::object object;
      if (auto e = value.get_object().get(object)) return NotJson(e);
      for (auto member : object) {
        std::string_view key;
        if (auto e = member.unescaped_key().get(key)) return NotJson(e);
        od::value v;
        if (auto e = member.value().get(v)) return NotJson(e);
        JsonMember& member_node = out.members.emplace_back();
        member_node.key = std::string(key);
        AIRPG_RETURN_IF_ERROR(Build(v, member_node.value));
      }
      return Status::Ok();
    }
    case od::json_type::number: {
      // The token, not a double: a double would round 17-digit fractions and
      // integers past 2^53, and overflow past 1.8e308.
      std::string_view token = value.raw_json_token();
      while (!token.empty() && (token.back() == ' ' || token.back() == '\n' ||
                                token.back() == '\r' || token.back() == '\t')) {
        token.remove_suffix(1);
      }
      if (!IsJsonNumber(token)) return InvalidArgumentError("the cell is not JSON (bad number)");
      out.kind = JsonNode::Kind::kNumber;
      out.text = std::string(token);
      return Status::Ok();
    }
    case od::json_type::string: {
      std::string_view text;
      if (auto e = value.get_string().get(text)) return NotJson(e);
      out.kind = JsonNode::Kind::kString;
      out.text = std::string(text);
      return Status::Ok();
    }
    case od::json_type::boolean: {
      if (auto e = value.get_bool().get(out.boolean)) return NotJson(e);
      out.kind = JsonNode::Kind::kBool;
      return Status::Ok();
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = value.is_null().get(is_null)) return NotJson(e);
      if (!is_null) return NotJson(simdjson::INCORRECT_TYPE);
      out.kind = JsonNode::Kind::kNull;
      return Status::Ok();
    }
  }
  return NotJson(simdjson::INCORRECT_TYPE);
}

void Write(const JsonNode& node, bool canonical, std::string& out) {
  switch (node.kind) {
    case JsonNode::Kind::kNull:
      out += "null";
      return;
    case JsonNode::Kind::kBool:
      out += node.boolean ? "true" : "false";
      return;
    case JsonNode::Kind::kNumber:
      out += canonical ? CanonicalNumber(node.text) : node.text;
      return;
    case JsonNode::Kind::kString:
      out += '"';
      out += JsonEscape(node.text);
      out += '"';
      return;
    case JsonNode::Kind::kArray:
      out += '[';
      for (size_t i = 0; i < node.items.size(); ++i) {
        if (i) out += ',';
        Write(node.items[i], canonical, out);
      }
      out += ']';
      return;
    case JsonNode::Kind::kObject: {
      std::vector<const JsonMember*> members;
      for (const auto& m : node.members) members.push_back(&m);
      if (canonical) {
        // Sorted by key; of duplicates only the last, as jsonb keeps.
        std::stable_sort(members.begin(), members.end(),
                         [](auto* a, auto* b) { return a->key < b->key; });
        std::vector<const JsonMember*> last;
        for (size_t i = 0; i < members.size(); ++i) {
          if (i + 1 < members.size() && members[i + 1]->key == members[i]->key) continue;
          last.push_back(members[i]);
        }
        members = std::move(last);
      }
      out += '{';
      for (size_t i = 0; i < members.size(); ++i) {
        if (i) out += ',';
        out += '"';
        out += JsonEscape(members[i]->key);
        out += "\":";
        Write(members[i]->value, canonical, out);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

const JsonNode* JsonNode::Find(std::string_view key) const {
  const JsonNode* found = nullptr;
  for (const JsonMember& member : members) {
    if (member.key == key) found = &member.value;
  }
  return found;
}

Result<JsonNode> ParseCellJson(std::string_view json) {
  // Wrapped in an array, so a scalar cell is read like any element (the
  // on-demand API treats a scalar document differently), in a buffer with
  // the padding simdjson reads past the end.
  thread_local std::string buffer;
  buffer.assign("[");
  buffer.append(json);
  buffer.append("]");
  size_t length = buffer.size();
  buffer.resize(length + simdjson::SIMDJSON_PADDING);
  thread_local od::parser parser;
  od::document doc;
  if (auto e = parser.iterate(buffer.data(), length, buffer.size()).get(doc)) return NotJson(e);
  od::array array;
  if (auto e = doc.get_array().get(array)) return NotJson(e);
  JsonNode root;
  int count = 0;
  for (auto item : array) {
    od::value v;
    if (auto e = item.get(v)) return NotJson(e);
    if (++count > 1) return InvalidArgumentError("the cell is not one JSON value");
    AIRPG_RETURN_IF_ERROR(Build(v, root));
  }
  if (count != 1) return InvalidArgumentError("the cell is not one JSON value");
  // Anything after the wrapper's "]" means the cell closed it early ("1] [2").
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return InvalidArgumentError("the cell is not one JSON value");
  }
  return root;
}

std::string WriteJson(const JsonNode& node) {
  std::string out;
  Write(node, false, out);
  return out;
}

std::string CanonicalJson(const JsonNode& node) {
  std::string out;
  Write(node, true, out);
  return out;
}

}  // namespace airpg::mapping
