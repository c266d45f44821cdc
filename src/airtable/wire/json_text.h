// JSON text in the wire format's one spelling: the bytes nlohmann's
// `Json::parse(text).dump()` gives (no whitespace, keys in their order,
// strings escaped as nlohmann escapes them, numbers as nlohmann prints what
// it parsed), made without building a tree. `airpg serve` writes a page's
// cells — JSON text built from Postgres rows — straight into its response
// with it, so a list page costs no parse-then-dump per cell and its bytes
// stay those of the emulator's RecordBuilder. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace airpg::airtable::wire {

// Appends to `out` the JSON text `text` in the spelling above; false (and
// `out` as it was) when `text` is not JSON nlohmann would parse.
bool AppendCanonicalJson(std::string& out, std::string_view text);

// The same, as a value; nullopt when `text` is not JSON.
std::optional<std::string> CanonicalJson(std::string_view text);

// Appends `utf8` as a JSON string literal, escaped as nlohmann's dump
// escapes (\b \t \n \f \r \" \\, other controls as \u00xx, the rest as is).
// REQUIRES: `utf8` is valid UTF-8 (nlohmann's dump would throw otherwise).
void AppendJsonString(std::string& out, std::string_view utf8);

}  // namespace airpg::airtable::wire
