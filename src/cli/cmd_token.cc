#include "cli/cmd_token.h"

#include <fmt/core.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "api/tokens.h"
#include "cli/airtable_access.h"
#include "cli/error_line.h"
#include "cli/exit_code.h"

namespace airpg::cli {
namespace {

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

}  // namespace

int RunTokenCreate(const Config& config, const TokenCliOptions& options) {
  std::vector<std::string> scopes;
  size_t start = 0;
  while (start <= options.scopes.size()) {
    size_t comma = options.scopes.find(',', start);
    std::string scope = options.scopes.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!scope.empty()) scopes.push_back(scope);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  // Bad usage is told before a database is opened (or started), and as
  // usage (exit 2) whether or not one can be.
  if (Status grant = api::CheckTokenGrant(options.bases, scopes); !grant.ok()) {
    PrintErrorLine(fmt::format("--bases/--scopes: {}", grant.message()));
    return kExitUsage;
  }
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  Result<std::string> token = api::CreateToken(db->conn, options.name, options.bases, scopes);
  if (!token.ok()) return Fail(token.status());
  // The only time the token is shown.
  std::cout << *token << "\n";
  std::cerr << fmt::format("airpg token: '{}' created ({}); it is not shown again\n", options.name,
                           Join(scopes));
  return kExitOk;
}

int RunTokenList(const Config& config, const TokenCliOptions& options) {
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  Result<std::vector<api::TokenInfo>> tokens = api::ListTokens(db->conn);
  if (!tokens.ok()) return Fail(tokens.status());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : *tokens) {
    out.push_back({{"name", t.name},
                   {"bases", t.bases},
                   {"scopes", t.scopes},
                   {"created_at", t.created_at},
                   {"revoked_at", t.revoked_at}});
  }
  if (options.json) {
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& t : *tokens) {
    std::cout << fmt::format("{}  {}  bases: {}  created {}{}\n", t.name, Join(t.scopes),
                             t.bases.empty() ? "all" : Join(t.bases), t.created_at,
                             t.revoked_at.empty() ? "" : "  REVOKED " + t.revoked_at);
  }
  return kExitOk;
}

int RunTokenRevoke(const Config& config, const TokenCliOptions& options) {
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());
  Status revoked = api::RevokeToken(db->conn, options.name);
  if (revoked.code() == StatusCode::kNotFound) {
    PrintErrorLine(revoked.message());
    return kExitUsage;
  }
  if (!revoked.ok()) return Fail(revoked);
  std::cout << fmt::format("revoked '{}'\n", options.name);
  return kExitOk;
}

}  // namespace airpg::cli
