// CellJson: one Airtable cell's JSON parsed once into a small tree that keeps
// each number as the token Airtable sent (simdjson's raw number text, never a
// double), so a converter can carry every digit: 0.29999999999999877, 1e-300
// and 123456789012345678901234567890 arrive as written. The cell converters
// (cell_converter.h) and checksums read this tree; nothing parses a cell twice.
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace airpg::mapping {

struct JsonMember;

struct JsonNode {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;                 // a string's decoded text, or a number's token
  std::vector<JsonNode> items;      // array elements
  std::vector<JsonMember> members;  // object members, as sent

  bool is_null() const { return kind == Kind::kNull; }
  // The member named `key` (the last of duplicates, as jsonb keeps); nullptr if none.
  const JsonNode* Find(std::string_view key) const;
};

struct JsonMember {
  std::string key;
  JsonNode value;
};

// Parses one JSON value (surrounding whitespace allowed). Not JSON, or more
// than one value, is kInvalidArgument.
Result<JsonNode> ParseCellJson(std::string_view json);

// Minified JSON text; numbers as their tokens, strings escaped by JsonEscape.
std::string WriteJson(const JsonNode& node);

// JSON text that two spellings of one value share: object keys sorted (the
// last duplicate wins), numbers in CanonicalNumber form, strings escaped one
// way. For checksums and for the way back to Airtable from jsonb.
std::string CanonicalJson(const JsonNode& node);

}  // namespace airpg::mapping
