// `airpg token create|list|revoke`: the API tokens of `airpg serve`
// (api/tokens.h). A created token is printed once; only its hash is kept.
// Single-thread.
#pragma once

#include <string>
#include <vector>

#include "cli/config.h"

namespace airpg::cli {

struct TokenCliOptions {
  std::string name;
  std::vector<std::string> bases;  // --bases app… (none: every served base)
  std::string scopes = "data.records:read,schema.bases:read";  // --scopes, comma-separated
  bool json = false;
};

int RunTokenCreate(const Config& config, const TokenCliOptions& options);
int RunTokenList(const Config& config, const TokenCliOptions& options);
int RunTokenRevoke(const Config& config, const TokenCliOptions& options);

}  // namespace airpg::cli
