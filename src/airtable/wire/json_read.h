// Json, the wire format's JSON value (ordered, so responses keep Airtable's
// key order), and tolerant reads of stored JSON (data files, field options, cells): real Meta
// API responses carry `null` where documented examples omit a key
// ("description": null, "recordLinkFieldId": null on broken lookups), and
// option keys nobody has documented yet. nlohmann's value(key, default)
// throws on such a null; these never throw, so no data-file shape can fail a
// request. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace airpg::airtable::wire {

// Ordered, so responses keep Airtable's key order (id, createdTime, fields;
// fields in table order). The emulator's model uses the same type.
using Json = nlohmann::ordered_json;

// The member `key` of `object`, or null when `object` is not an object or
// lacks it.
const Json& MemberAt(const Json& object, std::string_view key);

// The member as a string / bool / integer; `fallback` when it is absent, null
// or of another JSON type.
std::string StringAt(const Json& object, std::string_view key, std::string_view fallback = "");
bool BoolAt(const Json& object, std::string_view key, bool fallback);
int64_t IntAt(const Json& object, std::string_view key, int64_t fallback);

// The string elements of the array member `key` (other elements skipped).
std::vector<std::string> StringsAt(const Json& object, std::string_view key);

// `value` as a string, or "" when it is not one.
std::string AsString(const Json& value);

}  // namespace airpg::airtable::wire
