#include "cli/doctor_airtable.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

#include <fmt/core.h>

#include "airtable/bases_api.h"
#include "airtable/client.h"
#include "airtable/grant_ledger.h"
#include "airtable/pacer.h"
#include "base/redact.h"

namespace airpg::cli {
namespace {

constexpr const char* kTokenPage = "https://airtable.com/create/tokens";

std::string AddScopeFix(std::string_view scope) {
  return fmt::format("add the scope {} to the token ({}) or use a token that has it", scope,
                     kTokenPage);
}

// A client for doctor alone: paced with the other airpg processes of this
// AIRPG_HOME (their budget is the base's too), but never retried, so an
// unreachable Airtable is reported at once instead of after a minute of backoff.
struct DoctorClient {
  std::unique_ptr<airtable::Pacer> pacer;
  std::unique_ptr<airtable::Client> client;
};

DoctorClient OpenDoctorClient(const Config& config) {
  airtable::PacerLimits limits;
  limits.per_base = config.airtable_per_base_limit;
  limits.per_token = config.airtable_per_token_limit;
  Result<std::unique_ptr<airtable::GrantLedger>> ledger =
      airtable::GrantLedger::Open(config.home / "run" / "airtable-pacer",
                                  config.airtable_endpoint_url, config.airtable_token.value_or(""));
  DoctorClient out;
  out.pacer = std::make_unique<airtable::Pacer>(limits, nullptr,
                                                ledger.ok() ? std::move(ledger).value() : nullptr);
  airtable::ClientOptions options;
  options.endpoint_url = config.airtable_endpoint_url;
  options.token = config.airtable_token.value_or("airpg");  // an emulator takes any token
  options.backoff.max_attempts = 0;
  options.max_rate_limit_retries = 0;
  out.client = std::make_unique<airtable::Client>(std::move(options), *out.pacer);
  return out;
}

bool Denied(const Status& s) {
  return s.code() == StatusCode::kPermissionDenied || s.code() == StatusCode::kNotFound;
}

// The base: its schema (schema.bases:read and access to the base), one
// record (data.records:read) and its webhooks (webhook:manage).
void CheckBase(airtable::Client& client, const std::string& base_id, std::vector<Check>* checks) {
  Result<airtable::BaseSchema> schema =
      client.GetBaseSchema(base_id, false, airtable::Priority::kIncremental);
  if (!schema.ok()) {
    checks->push_back(
        {"airtable-base", Outcome::kFail,
         fmt::format("base {} is not readable with this token: {}", base_id,
                     schema.status().message()),
         Denied(schema.status())
             ? "check airtable.base_id or --base (`airpg bases` lists the bases the token sees) "
               "and give the token access to the base, with the scope schema.bases:read"
             : "try again; if it persists, check the endpoint"});
    return;
  }
  checks->push_back({"airtable-base", Outcome::kOk,
                     fmt::format("base {} readable ({} tables)", base_id, schema->tables.size()),
                     ""});
  if (!schema->tables.empty()) {
    airtable::ListOptions one;
    one.page_size = 1;
    one.max_records = 1;
    Result<airtable::RecordPage> page = client.ListPage(base_id, schema->tables.front().id, one, "",
                                                        airtable::Priority::kIncremental);
    if (!page.ok()) {
      checks->push_back(
          {"scope-records", Outcome::kFail,
           fmt::format("cannot read records of base {}: {}", base_id, page.status().message()),
           Denied(page.status()) ? AddScopeFix("data.records:read")
                                 : "try again; if it persists, check the endpoint"});
    } else {
      checks->push_back({"scope-records", Outcome::kOk, "data.records:read: records readable", ""});
    }
  }
  Result<std::vector<airtable::WebhookInfo>> hooks = client.ListWebhooks(base_id);
  if (!hooks.ok()) {
    checks->push_back({"scope-webhooks", Outcome::kWarn,
                       fmt::format("cannot list the base's webhooks ({}): `airpg sync` polls "
                                   "instead of being told of changes",
                                   hooks.status().message()),
                       Denied(hooks.status()) ? AddScopeFix("webhook:manage") : ""});
  } else {
    checks->push_back({"scope-webhooks", Outcome::kOk,
                       fmt::format("webhook:manage: {} webhook(s) on the base", hooks->size()),
                       ""});
  }
}

}  // namespace

const std::vector<ScopeNeed>& ScopesAirpgNeeds() {
  static const std::vector<ScopeNeed> kNeeds = {
      {"schema.bases:read", true, "every command reads the base's schema"},
      {"data.records:read", true, "migrate, verify and sync read records"},
      {"webhook:manage", false, "sync learns of changes through webhooks (else it polls)"},
      {"data.records:write", false, "two-way sync writes Postgres changes back"},
  };
  return kNeeds;
}

std::vector<Check> CheckListedScopes(const std::vector<std::string>& scopes) {
  std::vector<Check> checks;
  for (const ScopeNeed& need : ScopesAirpgNeeds()) {
    if (std::find(scopes.begin(), scopes.end(), need.scope) != scopes.end()) continue;
    checks.push_back({"airtable-scopes", need.required ? Outcome::kFail : Outcome::kWarn,
                      fmt::format("the token lacks {}: {}", need.scope, need.for_what),
                      AddScopeFix(need.scope)});
  }
  if (checks.empty()) {
    checks.push_back({"airtable-scopes", Outcome::kOk, "the token has every scope airpg uses", ""});
  }
  return checks;
}

std::vector<Check> CheckAirtableOnline(const Config& config,
                                       const std::optional<std::string>& base_id) {
  std::vector<Check> checks;
  std::string endpoint = RedactUrl(config.airtable_endpoint_url);
  DoctorClient doctor = OpenDoctorClient(config);
  auto started = std::chrono::steady_clock::now();
  Result<airtable::TokenOwner> owner = airtable::Whoami(*doctor.client);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
  if (!owner.ok() && owner.status().code() == StatusCode::kUnavailable) {
    checks.push_back(
        {"airtable-endpoint", Outcome::kFail,
         fmt::format("cannot reach Airtable at {}: {}", endpoint, owner.status().message()),
         "check AIRTABLE_ENDPOINT_URL (default https://api.airtable.com), the "
         "network and any proxy"});
    return checks;
  }
  if (!owner.ok() && owner.status().code() != StatusCode::kUnauthenticated) {
    checks.push_back({"airtable-endpoint", Outcome::kFail,
                      fmt::format("{} does not answer as Airtable's API: {}", endpoint,
                                  owner.status().message()),
                      "point AIRTABLE_ENDPOINT_URL at https://api.airtable.com or an emulator"});
    return checks;
  }
  checks.push_back({"airtable-endpoint", Outcome::kOk,
                    fmt::format("{} reachable ({} ms)", endpoint, millis), ""});
  if (!owner.ok()) {
    // The client's message already says that AIRTABLE_TOKEN was refused.
    checks.push_back({"token-accepted", Outcome::kFail, std::string(owner.status().message()),
                      fmt::format("create a personal access token at {} and export "
                                  "AIRTABLE_TOKEN=pat…",
                                  kTokenPage)});
    return checks;
  }
  checks.push_back({"token-accepted", Outcome::kOk,
                    fmt::format("accepted: user {}{}", owner->user_id,
                                owner->email.empty() ? "" : " (" + owner->email + ")"),
                    ""});
  if (owner->scopes) {
    for (Check& c : CheckListedScopes(*owner->scopes)) checks.push_back(std::move(c));
  } else {
    // A personal access token: whoami does not list its scopes, so each is
    // found out by a read that needs it.
    Result<std::vector<airtable::BaseInfo>> bases = airtable::ListBases(*doctor.client);
    if (!bases.ok()) {
      checks.push_back({"scope-schema", Outcome::kFail,
                        fmt::format("cannot list bases: {}", bases.status().message()),
                        Denied(bases.status()) ? AddScopeFix("schema.bases:read") : ""});
    } else {
      checks.push_back({"scope-schema", Outcome::kOk,
                        fmt::format("schema.bases:read: the token sees {} base(s)", bases->size()),
                        ""});
    }
  }
  if (!base_id) {
    checks.push_back({"airtable-base", Outcome::kWarn, "no base configured, none checked",
                      "set airtable.base_id (AIRPG_AIRTABLE_BASE_ID) or pass --base app…; "
                      "`airpg bases` lists them"});
    return checks;
  }
  CheckBase(*doctor.client, *base_id, &checks);
  return checks;
}

}  // namespace airpg::cli
