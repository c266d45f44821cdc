// The Meta API reads a user makes to find their way: the bases a token sees
// (`airpg bases`) and a base's schema exactly as Airtable sent it
// (`airpg schema dump`, whose output `formula --schema-file` reads back).
// Free functions over Client, thread-safe as Client is.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "airtable/client.h"
#include "airtable/schema.h"
#include "base/result.h"

namespace airpg::airtable {

// Every base the token can see, in Airtable's order, all pages of
// GET /v0/meta/bases. Paced for the token only: the list belongs to no base.
Result<std::vector<BaseInfo>> ListBases(Client& client, Priority priority = Priority::kIncremental);

// The body of GET /v0/meta/bases/{base_id}/tables as Airtable sent it (no
// field option dropped), after checking that it parses as a schema; a body cut
// short on the way is asked for again, twice at most.
Result<std::string> GetBaseSchemaJson(Client& client, std::string_view base_id,
                                      Priority priority = Priority::kIncremental);

// GET /v0/meta/whoami: who the token belongs to. Airtable adds `email` with
// the user.email:read scope and `scopes` for OAuth tokens only; a personal
// access token's scopes are not listed (API.md §5.1).
struct TokenOwner {
  std::string user_id;
  std::string email;                               // "" without user.email:read
  std::optional<std::vector<std::string>> scopes;  // nullopt: not listed
};
Result<TokenOwner> Whoami(Client& client, Priority priority = Priority::kIncremental);

}  // namespace airpg::airtable
