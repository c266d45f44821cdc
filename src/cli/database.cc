#include "cli/database.h"

#include <fmt/core.h>

#include "base/redact.h"
#include "pg/conninfo.h"

namespace airpg::cli {

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
      if (auto it = env->find("PGPASSWORD"); it != env->end()) RegisterSecret(it->second);
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
