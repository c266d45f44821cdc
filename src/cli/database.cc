#include "cli/database.h"

#include <map>
#include <set>

#include <fmt/core.h>

#include "base/redact.h"
#include "pg/conninfo.h"

namespace airpg::cli {
namespace {

// libpq parses these options without looking at their values and refuses a
// bad one only when it connects, like an unreachable server; checked here,
// a typo is bad configuration (exit 2), not an outage (exit 3). The values
// libpq 15..17 accepts, by the environment variable of the option.
Status CheckOptionValues(const std::map<std::string, std::string>& env) {
  static const std::map<std::string, std::pair<const char*, std::set<std::string>>> kValues = {
      {"PGSSLMODE",
       {"sslmode", {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}}},
      {"PGGSSENCMODE", {"gssencmode", {"disable", "prefer", "require"}}},
      {"PGCHANNELBINDING", {"channel_binding", {"disable", "prefer", "require"}}},
      {"PGTARGETSESSIONATTRS",
       {"target_session_attrs",
        {"any", "read-write", "read-only", "primary", "standby", "prefer-standby"}}},
      {"PGLOADBALANCEHOSTS", {"load_balance_hosts", {"disable", "random"}}},
      {"PGSSLCERTMODE", {"sslcertmode", {"disable", "allow", "require"}}},
      {"PGSSLNEGOTIATION", {"sslnegotiation", {"postgres", "direct"}}},
  };
  for (const auto& [var, value] : env) {
    auto it = kValues.find(var);
    if (it == kValues.end() || it->second.second.count(value) != 0) continue;
    std::string allowed;
    for (const std::string& v : it->second.second) allowed += (allowed.empty() ? "" : ", ") + v;
    return InvalidArgumentError(
        fmt::format("{} \"{}\" is not one of {}", it->second.first, value, allowed));
  }
  return Status::Ok();
}

}  // namespace

pg::EmbeddedOptions EmbeddedOptionsFor(const Config& config) {
  pg::EmbeddedOptions options;
  options.home = config.home;
  options.bin_dir = config.embedded_bin_dir;
  options.tcp_port = config.embedded_tcp_port;
  return options;
}

Result<DatabaseTarget> ResolveDatabase(const Config& config) {
  DatabaseTarget target;
  if (config.database_url) {
    // Registered before libpq looks at it: a password libpq cannot decode
    // (a raw '%') is quoted back in its error.
    pg::RegisterConnInfoSecrets(*config.database_url);
    Status valid = pg::ValidateConnInfo(*config.database_url);
    if (!valid.ok()) return valid.WithContext("DATABASE_URL");
    if (auto env = pg::EnvironmentFor(*config.database_url); env.ok()) {
      if (auto it = env->find("PGPASSWORD"); it != env->end()) RegisterPassword(it->second);
      Status values = CheckOptionValues(*env);
      if (!values.ok()) return values.WithContext("DATABASE_URL");
    }
    target.url = *config.database_url;
    target.printable = Redact(*config.database_url);
    return target;
  }
  pg::EmbeddedCluster cluster(EmbeddedOptionsFor(config));
  target.embedded = true;
  target.url = cluster.Url();
  target.printable = target.url;
  return target;
}

}  // namespace airpg::cli
