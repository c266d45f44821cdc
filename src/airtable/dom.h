// Small readers over simdjson's DOM for the parsers of src/airtable/ (only
// their .cc files include this; simdjson stays out of the model headers).
// Pure and thread-safe; the parser is one per thread.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "base/result.h"

namespace airpg::airtable::dom {

using simdjson::dom::element;

// Parses `body` with this thread's parser; the element lives until the next
// Parse on the same thread. Bad JSON is kDataLoss naming `what`.
Result<element> Parse(std::string_view body, std::string_view what);

// obj[key] as a string; "" when absent or not a string.
std::string String(element obj, std::string_view key);

// obj[key] as an integer; `fallback` when absent or not a number.
int64_t Int(element obj, std::string_view key, int64_t fallback = 0);

// The value's JSON text, minified.
inline std::string Raw(element value) { return simdjson::minify(value); }

// kDataLoss: "<what>: <why>".
Status Malformed(std::string_view what, std::string_view why);

}  // namespace airpg::airtable::dom
