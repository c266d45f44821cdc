// API tokens of `airpg serve` (airpg.api_tokens, the one owning module of
// that catalog table): `airpg token create` makes a token shaped like an
// Airtable personal access token ("pat" + 14 characters + "." + 64 hex),
// shown once; only its SHA-256 is stored. Each token names the bases it may
// use (none: every served base) and its scopes, checked per request:
// data.records:read, data.records:write, schema.bases:read.
// Functions are thread-compatible (one Connection per thread).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::api {

inline constexpr std::string_view kScopeRecordsRead = "data.records:read";
inline constexpr std::string_view kScopeRecordsWrite = "data.records:write";
inline constexpr std::string_view kScopeSchemaRead = "schema.bases:read";
inline constexpr std::string_view kScopeSchemaWrite = "schema.bases:write";  // Meta API writes

struct TokenInfo {
  std::string name;
  std::vector<std::string> bases;  // empty: every served base
  std::vector<std::string> scopes;
  std::string created_at;
  std::string revoked_at;  // "" while live
};

// Whether a token may be made with these bases and scopes, checked before any
// database is opened: kInvalidArgument names an unknown scope or a base id
// that is not shaped like one (app + 14 letters and digits).
Status CheckTokenGrant(const std::vector<std::string>& bases,
                       const std::vector<std::string>& scopes);

// The token (shown once). kAlreadyExists for a name a live token has (a
// revoked token's name may be used again); kInvalidArgument as
// CheckTokenGrant.
Result<std::string> CreateToken(pg::Connection& conn, std::string_view name,
                                const std::vector<std::string>& bases,
                                const std::vector<std::string>& scopes);
Result<std::vector<TokenInfo>> ListTokens(pg::Connection& conn);
// kNotFound when no live token has that name.
Status RevokeToken(pg::Connection& conn, std::string_view name);

// The live token a bearer secret belongs to; nullopt when none.
Result<std::optional<TokenInfo>> FindToken(pg::Connection& conn, std::string_view secret);

// Hex SHA-256 of a token, as stored.
std::string TokenHash(std::string_view secret);

}  // namespace airpg::api
