#include "cli/cmd_doctor.h"

#include <unistd.h>

#include <iostream>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/redact.h"
#include "cli/airtable_access.h"
#include "cli/database.h"
#include "cli/doctor_airtable.h"
#include "cli/doctor_home.h"
#include "cli/exit_code.h"
#include "pg/connection.h"
#include "pg/conninfo.h"
#include "pg/embedded_cluster.h"

namespace airpg::cli {
namespace {

constexpr int kMinimumServerVersion = 130000;

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kWarn:
      return "warn";
    case Outcome::kFail:
      return "FAIL";
  }
  return "?";
}

Check CheckConfig(const Result<Config>& config) {
  if (!config.ok()) {
    return {"config", Outcome::kFail, std::string(config.status().message()),
            "correct the file or variable named above (keys: airpg --help)"};
  }
  if (config->source.empty()) return {"config", Outcome::kOk, "no config file; using defaults", ""};
  return {"config", Outcome::kOk, "loaded " + config->source.string(), ""};
}

Check CheckPostgres(const Config& config) {
  Result<DatabaseTarget> target = ResolveDatabase(config);
  if (!target.ok()) {
    return {"postgres", Outcome::kFail, std::string(target.status().message()),
            "set DATABASE_URL to a libpq URI, e.g. postgresql://user@host:5432/dbname"};
  }
  if (target->embedded) {
    pg::EmbeddedCluster cluster(EmbeddedOptionsFor(config));
    Result<pg::ClusterState> state = cluster.State();
    if (!state.ok() || *state != pg::ClusterState::kRunning) {
      return {"postgres", Outcome::kFail,
              fmt::format("embedded Postgres in {} is {}", cluster.data_dir().string(),
                          state.ok() ? pg::ClusterStateName(*state) : "unknown"),
              "run `airpg db start`, or set DATABASE_URL to use your own server"};
    }
  }
  Result<pg::Connection> conn = pg::Connection::Open(target->url);
  if (!conn.ok()) {
    bool auth = conn.status().code() == StatusCode::kUnauthenticated;
    return {"postgres", Outcome::kFail, std::string(conn.status().message()),
            auth ? "check the user and password in DATABASE_URL"
                 : "check that the server in DATABASE_URL is running and reachable"};
  }
  int v = conn->ServerVersion();
  std::string where = target->embedded ? "embedded" : target->printable;
  std::string version = fmt::format("PostgreSQL {}.{}", v / 10000, v % 10000);
  if (v < kMinimumServerVersion) {
    return {"postgres", Outcome::kFail, fmt::format("{} at {} is too old", version, where),
            "use PostgreSQL 13 or newer (15 is what airpg is tested on)"};
  }
  return {"postgres", Outcome::kOk, fmt::format("{} reachable ({})", version, where), ""};
}

Check CheckToken(const Config& config) {
  bool real_airtable = config.airtable_endpoint_url.find("api.airtable.com") != std::string::npos;
  if (!config.airtable_token) {
    return {"airtable-token", real_airtable ? Outcome::kWarn : Outcome::kOk,
            real_airtable ? "AIRTABLE_TOKEN is not set; migrate and sync need it"
                          : "AIRTABLE_TOKEN is not set (endpoint " +
                                RedactUrl(config.airtable_endpoint_url) + " may not need one)",
            real_airtable ? "create a personal access token in Airtable and export AIRTABLE_TOKEN"
                          : ""};
  }
  // Only the shape is looked at; the value itself is never printed.
  if (real_airtable && config.airtable_token->rfind("pat", 0) != 0) {
    return {"airtable-token", Outcome::kWarn,
            "AIRTABLE_TOKEN is set but does not look like a personal access token (pat…)",
            "legacy API keys stopped working in 2024: create a personal access token"};
  }
  return {"airtable-token", Outcome::kOk,
          fmt::format("AIRTABLE_TOKEN is set ({} characters, not shown)",
                      config.airtable_token->size()),
          ""};
}

}  // namespace

int RunDoctor(const Result<Config>& config, const DoctorOptions& options) {
  if (config.ok()) RegisterUrlSecrets(config->airtable_endpoint_url, /*query_values=*/true);
  std::vector<Check> checks = {CheckConfig(config)};
  if (config.ok()) {
    for (Check& c : CheckHome(*config)) checks.push_back(std::move(c));
    checks.push_back(CheckPostgres(*config));
    Check token = CheckToken(*config);
    // Without a token Airtable itself cannot be asked (an emulator can).
    bool can_ask = config->airtable_token || token.outcome == Outcome::kOk;
    checks.push_back(std::move(token));
    if (options.offline || !can_ask) {
      // The endpoint's user info and query may hold a proxy's credentials.
      checks.push_back({"airtable-endpoint", Outcome::kOk,
                        RedactUrl(config->airtable_endpoint_url) + " (not checked online)", ""});
    } else {
      std::optional<std::string> base_id;
      if (options.base || !config->airtable_base_id.empty()) {
        Result<std::string> id = ResolveBaseId(*config, options.base);
        if (id.ok()) {
          base_id = *id;
        } else {
          checks.push_back({"airtable-base", Outcome::kFail, std::string(id.status().message()),
                            "pass --base app… (`airpg bases` lists them)"});
        }
      }
      for (Check& c : CheckAirtableOnline(*config, base_id)) checks.push_back(std::move(c));
    }
  }
  bool failed = false;
  for (Check& c : checks) {
    failed = failed || c.outcome == Outcome::kFail;
    // Messages quote libpq and the config; nothing secret leaves doctor.
    c.message = Redact(c.message);
  }

  if (options.json) {
    nlohmann::json out = {{"ok", !failed}, {"checks", nlohmann::json::array()}};
    for (const Check& c : checks) {
      out["checks"].push_back({{"name", c.name},
                               {"status", std::string(OutcomeName(c.outcome))},
                               {"message", c.message},
                               {"fix", c.fix}});
    }
    std::cout << out.dump(2) << "\n";
  } else {
    for (const Check& c : checks) {
      std::cout << fmt::format("{:<4}  {:<17} {}{}\n", OutcomeName(c.outcome), c.name, c.message,
                               c.fix.empty() ? "" : " — fix: " + c.fix);
    }
  }
  return failed ? kExitFailed : kExitOk;
}

}  // namespace airpg::cli
