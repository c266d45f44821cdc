// URL pieces as Airtable clients send them: percent-decoding (with `+` as a
// space in query strings), path segments decoded exactly once, and query
// strings split into ordered key/value pairs. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace airpg::http {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Decodes %XX escapes; when `plus_is_space`, also `+` → ' '. Malformed
// escapes are kept verbatim.
std::string PercentDecode(std::string_view text, bool plus_is_space);

// Encodes everything except unreserved characters (A-Z a-z 0-9 - _ . ~).
std::string PercentEncode(std::string_view text);

// Splits "a=1&b&c=2" into ordered pairs, decoding keys and values (`+` is a
// space; bytes that are not UTF-8 become U+FFFD, base/utf8.h). Empty pieces
// are skipped; a key without `=` has an empty value.
QueryParams ParseQuery(std::string_view query);

// The target split at the first '?': path part and query part (both encoded).
std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target);

// Splits an encoded path on '/', decoding each segment once (bytes that are
// not UTF-8 become U+FFFD, as in queries). Empty segments
// (leading, trailing or doubled slashes) are dropped, so "/v0/app/T/" and
// "/v0/app/T" give the same segments.
std::vector<std::string> SplitPath(std::string_view encoded_path);

}  // namespace airpg::http
