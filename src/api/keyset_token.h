// KeysetToken: the `offset` of list-records pages served from Postgres — an
// opaque token holding where the last page ended (its sort-key values and
// row id), how many records maxRecords still allows, and a fingerprint of
// the query it belongs to. Unlike the emulator's server-side iterators it
// needs no state, so any serve process answers the next page, and it stays
// valid under concurrent writes: the next page starts strictly after the
// last row returned in the query's order (rows written meanwhile appear or
// not by where they sort, none is repeated). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace airpg::api {

struct KeysetToken {
  std::vector<std::optional<std::string>> sort_values;  // text form; nullopt = NULL
  int64_t row_id = 0;                                   // the table's `id` of the last row
  int64_t remaining = -1;                               // maxRecords left; -1: no limit
  std::string fingerprint;                              // of filter, sort, view and table
};

std::string EncodeKeysetToken(const KeysetToken& token);
// nullopt when `text` is not a token this code wrote.
std::optional<KeysetToken> DecodeKeysetToken(const std::string& text);

// A short digest of the parts of a request that fix the row order.
std::string QueryFingerprint(const std::vector<std::string>& parts);

}  // namespace airpg::api
