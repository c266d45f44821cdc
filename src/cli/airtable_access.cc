#include "cli/airtable_access.h"

#include <utility>

#include <fmt/core.h>

#include "airtable/grant_ledger.h"
#include "base/log.h"
#include "base/redact.h"
#include "cli/database.h"
#include "pg/catalog.h"
#include "pg/embedded_cluster.h"

namespace airpg::cli {
namespace {

// The grant ledger of AIRPG_HOME, or null after a warning when it cannot be
// opened: the pacer then paces this process alone, which never fails a
// command (other airpg processes' requests may then meet this one's in
// Airtable's window: 429s, counted and retried).
std::unique_ptr<airtable::GrantLedger> OpenGrantLedger(const Config& config) {
  Result<std::unique_ptr<airtable::GrantLedger>> ledger =
      airtable::GrantLedger::Open(config.home / "run" / "airtable-pacer",
                                  config.airtable_endpoint_url, config.airtable_token.value_or(""));
  if (!ledger.ok()) {
    log::Warn("Airtable pacing covers this process only: {}", ledger.status().ToString());
    return nullptr;
  }
  return std::move(ledger).value();
}

}  // namespace

Result<std::string> ResolveBaseId(const Config& config, const std::optional<std::string>& flag) {
  std::string id = flag && !flag->empty() ? *flag : config.airtable_base_id;
  if (id.empty()) {
    return InvalidArgumentError(
        "no Airtable base id: pass --base app… or set airtable.base_id in airpg.yaml "
        "(AIRPG_AIRTABLE_BASE_ID)");
  }
  if (id.rfind("app", 0) != 0) {
    return InvalidArgumentError(fmt::format("'{}' is not an Airtable base id (app…)", id));
  }
  return id;
}

Result<AirtableAccess> OpenAirtable(const Config& config, std::stop_token stop) {
  bool real_airtable = config.airtable_endpoint_url.find("api.airtable.com") != std::string::npos;
  if (!config.airtable_token && real_airtable) {
    return InvalidArgumentError(
        "AIRTABLE_TOKEN is not set: create a personal access token in Airtable and export it");
  }
  // A proxy's credentials in the endpoint's user info or query are as secret
  // as the token: masked wherever they would be logged or printed.
  RegisterUrlSecrets(config.airtable_endpoint_url, /*query_values=*/true);
  airtable::ClientOptions options;
  options.endpoint_url = config.airtable_endpoint_url;
  options.content_url = config.airtable_content_url;
  // An emulator accepts any bearer token.
  options.token = config.airtable_token.value_or("airpg");
  options.stop = stop;
  AirtableAccess access;
  airtable::PacerLimits limits;
  limits.per_base = config.airtable_per_base_limit;
  limits.per_token = config.airtable_per_token_limit;
  access.pacer = std::make_unique<airtable::Pacer>(limits, nullptr, OpenGrantLedger(config));
  access.client = std::make_unique<airtable::Client>(std::move(options), *access.pacer);
  return access;
}

Result<OpenDatabase> OpenDatabaseFor(const Config& config) {
  AIRPG_ASSIGN_OR_RETURN(DatabaseTarget target, ResolveDatabase(config));
  if (target.embedded) {
    pg::EmbeddedCluster cluster(EmbeddedOptionsFor(config));
    Result<pg::ClusterState> state = cluster.State();
    if (state.ok() && *state != pg::ClusterState::kRunning) {
      return UnavailableError(
          "the embedded Postgres is not running: run `airpg db start`, or set DATABASE_URL");
    }
  }
  AIRPG_ASSIGN_OR_RETURN(pg::Connection conn, pg::Connection::Open(target.url));
  AIRPG_RETURN_IF_ERROR(pg::EnsureCatalog(conn));
  return OpenDatabase{std::move(conn), target.url};
}

}  // namespace airpg::cli
