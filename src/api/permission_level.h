// The permissionLevel `airpg serve` answers for a base in GET /v0/meta/bases
// (issue 17): what Airtable reported for the base when it was last migrated
// (airpg.bases.permission_level), capped by what the request's token may do
// through serve: a token without data.records:write cannot be more than
// "read". (Airtable itself reports the user's level whatever the token's
// scopes; serve reports what the request's token can do.) Pure and
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/tokens.h"

namespace airpg::api {

// `stored` "" (not known: a base migrated before airpg stored it) is taken as
// "create", Airtable's answer for a base's owner, so only the token caps it.
// `token` nullopt: tokens are not required (in-process tests), no cap.
std::string EffectivePermissionLevel(std::string_view stored,
                                     const std::optional<TokenInfo>& token);

}  // namespace airpg::api
