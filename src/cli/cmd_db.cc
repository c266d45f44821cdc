#include "cli/cmd_db.h"

#include <iostream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/subprocess.h"
#include "cli/database.h"
#include "cli/error_line.h"
#include "cli/exit_code.h"
#include "pg/connection.h"
#include "pg/conninfo.h"
#include "pg/embedded_cluster.h"

namespace airpg::cli {
namespace {

std::string VersionOf(const std::string& url) {
  Result<pg::Connection> conn = pg::Connection::Open(url);
  if (!conn.ok()) return "";
  int v = conn->ServerVersion();
  return fmt::format("{}.{}", v / 10000, v % 10000);
}

int Start(const Config& config) {
  if (config.database_url) {
    std::cerr << "airpg: DATABASE_URL is set, so airpg uses that server; there is no embedded "
                 "cluster to start\n";
    return kExitOk;
  }
  pg::EmbeddedCluster cluster(EmbeddedOptionsFor(config));
  Status started = cluster.Start();
  if (!started.ok()) return Fail(started);
  std::cout << "embedded Postgres running; data in " << cluster.data_dir().string() << "\n";
  return kExitOk;
}

int Stop(const Config& config) {
  if (config.database_url) {
    std::cerr << "airpg: DATABASE_URL is set; airpg never stops an external server\n";
    return kExitOk;
  }
  pg::EmbeddedCluster cluster(EmbeddedOptionsFor(config));
  Status stopped = cluster.Stop();
  if (!stopped.ok()) return Fail(stopped);
  std::cout << "embedded Postgres stopped\n";
  return kExitOk;
}

// Exit 0 when the database is reachable, 3 when not (like `pg_ctl status`).
int StatusCommand(const Config& config, bool json) {
  Result<DatabaseTarget> target = ResolveDatabase(config);
  if (!target.ok()) return Fail(target.status());
  nlohmann::json out;
  std::string state;
  if (target->embedded) {
    pg::EmbeddedCluster cluster(EmbeddedOptionsFor(config));
    Result<pg::ClusterState> s = cluster.State();
    if (!s.ok()) return Fail(s.status());
    state = std::string(pg::ClusterStateName(*s));
    out["kind"] = "embedded";
    out["data_dir"] = cluster.data_dir().string();
  } else {
    Result<pg::Connection> conn = pg::Connection::Open(target->url);
    state = conn.ok() ? "running" : "unreachable";
    out["kind"] = "external";
    if (!conn.ok()) out["error"] = std::string(conn.status().message());
  }
  std::string version = state == "running" ? VersionOf(target->url) : "";
  out["state"] = state;
  out["url"] = target->printable;
  if (!version.empty()) out["server_version"] = version;
  if (json) {
    std::cout << out.dump() << "\n";
  } else {
    std::cout << fmt::format("{} Postgres: {}{}\n", out["kind"].get<std::string>(), state,
                             version.empty() ? "" : " (PostgreSQL " + version + ")");
    if (out.contains("data_dir"))
      std::cout << "data:  " << out["data_dir"].get<std::string>() << "\n";
    std::cout << "url:   " << target->printable << "\n";
    if (out.contains("error")) std::cout << "error: " << out["error"].get<std::string>() << "\n";
  }
  return state == "running" ? kExitOk : kExitUnavailable;
}

int Url(const Config& config, bool tcp) {
  Result<DatabaseTarget> target = ResolveDatabase(config);
  if (!target.ok()) return Fail(target.status());
  if (!target->embedded) {
    std::cerr << "airpg: DATABASE_URL is set; shown without its password\n";
    std::cout << target->printable << "\n";
    return kExitOk;
  }
  pg::EmbeddedCluster cluster(EmbeddedOptionsFor(config));
  if (tcp && config.embedded_tcp_port == 0) {
    return Fail(InvalidArgumentError(
        "the embedded cluster listens on a unix socket only: set embedded.tcp_port "
        "(AIRPG_EMBEDDED_TCP_PORT) and run `airpg db stop && airpg db start` for TCP"));
  }
  std::cout << (tcp ? cluster.TcpUrl() : cluster.Url()) << "\n";
  return kExitOk;
}

int Psql(const Config& config, const std::vector<std::string>& extra) {
  Result<DatabaseTarget> target = ResolveDatabase(config);
  if (!target.ok()) return Fail(target.status());
  if (target->embedded) {
    Result<pg::ClusterState> state = pg::EmbeddedCluster(EmbeddedOptionsFor(config)).State();
    if (state.ok() && *state != pg::ClusterState::kRunning) {
      return Fail(UnavailableError("the embedded Postgres is not running: run `airpg db start`"));
    }
  }
  // The connection travels in PG* variables so no password shows in `ps`.
  Result<std::map<std::string, std::string>> vars = pg::EnvironmentFor(target->url);
  if (!vars.ok()) return Fail(vars.status());
  std::map<std::string, std::optional<std::string>> env(vars->begin(), vars->end());
  // psql needs the database, never Airtable's token or a URL holding a password.
  env["AIRTABLE_TOKEN"] = std::nullopt;
  env["DATABASE_URL"] = std::nullopt;
  std::vector<std::string> argv = {"psql"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  Status exec = ExecProcess(argv, env);
  return Fail(exec.WithContext("install postgresql-client"));
}

}  // namespace

int RunDb(const Config& config, const DbOptions& options) {
  if (options.action == "start") return Start(config);
  if (options.action == "stop") return Stop(config);
  if (options.action == "status") return StatusCommand(config, options.json);
  if (options.action == "url") return Url(config, options.tcp);
  if (options.action == "psql") return Psql(config, options.psql_args);
  return Fail(InvalidArgumentError(fmt::format("unknown db action '{}'", options.action)));
}

}  // namespace airpg::cli
