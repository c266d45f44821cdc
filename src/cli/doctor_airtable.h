// The online part of `airpg doctor`: Airtable reachable at the configured
// endpoint, the token accepted (GET /v0/meta/whoami), the configured base
// readable, and the token's scopes — listed by whoami for OAuth tokens,
// otherwise found out by one read that needs each scope (a personal access
// token's scopes are not listed). Requests are paced with every other airpg
// process of the same AIRPG_HOME and never retried: doctor says at once what
// is wrong. Single-thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/config.h"
#include "cli/doctor_check.h"

namespace airpg::cli {

// The scopes airpg needs: `required` ones fail doctor, the others warn (only
// some commands need them).
struct ScopeNeed {
  const char* scope;
  bool required;
  const char* for_what;
};
const std::vector<ScopeNeed>& ScopesAirpgNeeds();

// The checks a listed set of scopes passes or fails (one per needed scope missing,
// else one ok line).
std::vector<Check> CheckListedScopes(const std::vector<std::string>& scopes);

// `base_id`: --base, else airtable.base_id, else none (the base is not checked).
std::vector<Check> CheckAirtableOnline(const Config& config,
                                       const std::optional<std::string>& base_id);

}  // namespace airpg::cli
