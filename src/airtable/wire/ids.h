// The shape of Airtable ids: a 3-letter prefix ("rec", "fld", "tbl", "itr")
// and 14 characters of [0-9A-Za-z] (API.md §1.3). Pure; thread-safe.
#pragma once

#include <string_view>

namespace airpg::airtable::wire {

// Whether `id` has the shape prefix + 14 alphanumerics.
bool LooksLikeId(std::string_view id, std::string_view prefix);

}  // namespace airpg::airtable::wire
