#include "api/permission_level.h"

#include <algorithm>
#include <array>

namespace airpg::api {
namespace {

// Airtable's levels, weakest first.
constexpr std::array<std::string_view, 5> kLevels = {"none", "read", "comment", "edit", "create"};

// The rank of `level`; an unknown word ranks as "read": serve never claims
// more than it can tell.
size_t Rank(std::string_view level) {
  auto it = std::find(kLevels.begin(), kLevels.end(), level);
  return it == kLevels.end() ? 1 : static_cast<size_t>(it - kLevels.begin());
}

}  // namespace

std::string EffectivePermissionLevel(std::string_view stored,
                                     const std::optional<TokenInfo>& token) {
  size_t rank = Rank(stored.empty() ? "create" : stored);
  if (token) {
    auto has = [&](std::string_view scope) {
      return std::find(token->scopes.begin(), token->scopes.end(), scope) != token->scopes.end();
    };
    if (!has(kScopeRecordsWrite)) rank = std::min(rank, Rank("read"));
  }
  return std::string(kLevels[rank]);
}

}  // namespace airpg::api
