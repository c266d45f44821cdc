#include "api/tokens.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>

#include "airtable/wire/ids.h"
#include "base/hex.h"
#include "pg/quote.h"

namespace airpg::api {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::vector<std::string> Strings(std::string_view array_text) {
  std::vector<std::string> out;
  Result<std::vector<std::optional<std::string>>> items = pg::ParseArray(array_text);
  if (!items.ok()) return out;
  for (auto& item : *items) {
    if (item) out.push_back(std::move(*item));
  }
  return out;
}

std::vector<std::optional<std::string>> Optionals(const std::vector<std::string>& values) {
  return {values.begin(), values.end()};
}

constexpr char kColumns[] =
    "name, bases::text, scopes::text, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS'), "
    "coalesce(to_char(revoked_at, 'YYYY-MM-DD HH24:MI:SS'), '')";

TokenInfo InfoAt(const pg::Rows& rows, int i) {
  return {std::string(rows.Get(i, 0)), Strings(rows.Get(i, 1)), Strings(rows.Get(i, 2)),
          std::string(rows.Get(i, 3)), std::string(rows.Get(i, 4))};
}

}  // namespace

std::string TokenHash(std::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
  return HexLower(digest, sizeof(digest));
}

Status CheckTokenGrant(const std::vector<std::string>& bases,
                       const std::vector<std::string>& scopes) {
  for (const std::string& scope : scopes) {
    if (scope != kScopeRecordsRead && scope != kScopeRecordsWrite && scope != kScopeSchemaRead &&
        scope != kScopeSchemaWrite) {
      return InvalidArgumentError(
          "unknown scope '" + scope + "' (known: " + std::string(kScopeRecordsRead) + ", " +
          std::string(kScopeRecordsWrite) + ", " + std::string(kScopeSchemaRead) + ", " +
          std::string(kScopeSchemaWrite) + ")");
    }
  }
  for (const std::string& base : bases) {
    if (!airtable::wire::LooksLikeId(base, "app")) {
      return InvalidArgumentError("'" + base +
                                  "' is not a base id (app followed by 14 letters and digits)");
    }
  }
  return Status::Ok();
}

Result<std::string> CreateToken(pg::Connection& conn, std::string_view name,
                                const std::vector<std::string>& bases,
                                const std::vector<std::string>& scopes) {
  if (Status grant = CheckTokenGrant(bases, scopes); !grant.ok()) return grant;
  unsigned char random[46];
  if (RAND_bytes(random, sizeof(random)) != 1) return InternalError("no random bytes");
  std::string token = "pat";
  for (int i = 0; i < 14; ++i) token += kAlphabet[random[i] % 62];
  token += '.';
  token += HexLower(random + 14, sizeof(random) - 14);
  Result<pg::Rows> inserted = conn.Exec(
      "INSERT INTO airpg.api_tokens (name, token_hash, bases, scopes) VALUES ($1, $2, "
      "$3::text[], $4::text[]) ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING "
      "RETURNING name",
      {std::string(name), TokenHash(token), pg::ArrayLiteral(Optionals(bases)),
       pg::ArrayLiteral(Optionals(scopes))});
  if (!inserted.ok()) return inserted.status();
  if (inserted->empty()) {
    return AlreadyExistsError("a token named '" + std::string(name) +
                              "' is live: revoke it first or pick another name");
  }
  return token;
}

Result<std::vector<TokenInfo>> ListTokens(pg::Connection& conn) {
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows,
                         conn.Exec(std::string("SELECT ") + kColumns +
                                   " FROM airpg.api_tokens ORDER BY name, created_at"));
  std::vector<TokenInfo> out;
  for (int i = 0; i < rows.size(); ++i) out.push_back(InfoAt(rows, i));
  return out;
}

Status RevokeToken(pg::Connection& conn, std::string_view name) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("UPDATE airpg.api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at "
                "IS NULL RETURNING name",
                {std::string(name)}));
  if (rows.empty()) return NotFoundError("no live token named '" + std::string(name) + "'");
  return Status::Ok();
}

Result<std::optional<TokenInfo>> FindToken(pg::Connection& conn, std::string_view secret) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec(std::string("SELECT ") + kColumns +
                    " FROM airpg.api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                {TokenHash(secret)}));
  if (rows.empty()) return std::optional<TokenInfo>();
  return std::optional<TokenInfo>(InfoAt(rows, 0));
}

}  // namespace airpg::api
