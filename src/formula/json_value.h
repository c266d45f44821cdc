// JsonValue: the JSON document model the formula layer reads Airtable cell
// values into (simdjson parses; this keeps formula headers free of it).
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace airpg::formula {

struct JsonMember;

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;  // kString: the unescaped string; kNumber: the literal as written
  std::vector<JsonValue> items;
  std::vector<JsonMember> members;  // in document order

  // The member named `key`, or nullptr.
  const JsonValue* Find(std::string_view key) const;
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

// Parses one JSON document (RFC 8259; \u escapes incl. surrogate pairs).
Result<JsonValue> ParseJson(std::string_view text);

}  // namespace airpg::formula
