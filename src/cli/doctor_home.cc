#include "cli/doctor_home.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <fmt/core.h>

#include "cli/database.h"
#include "pg/embedded_cluster.h"
#include "pg/server_user.h"

namespace airpg::cli {
namespace {

namespace fs = std::filesystem;

// sun_path holds 108 bytes with the terminating NUL (pg/embedded_cluster.cc).
constexpr size_t kMaxSocketPath = 107;

// As root the server runs as `user`: it must reach home/pg and own what is there.
Check CheckServerUser(const pg::ServerUser& user, const fs::path& home) {
  // `db start` makes home itself searchable; everything above it must already be.
  if (Status reach = user.CheckCanReach(home / "pg"); !reach.ok()) {
    return {"home-postgres", Outcome::kFail, std::string(reach.message()),
            fmt::format("choose an AIRPG_HOME the `{}` user can reach (e.g. /var/lib/airpg), or "
                        "`chmod o+x` the directory named",
                        user.name())};
  }
  struct stat st;
  fs::path data = home / "pg";
  if (::stat(data.c_str(), &st) == 0 && st.st_uid != user.uid()) {
    return {"home-postgres", Outcome::kFail,
            fmt::format("{} is not owned by `{}`, which runs the embedded Postgres", data.string(),
                        user.name()),
            fmt::format("chown -R {0}:{0} {1}", user.name(), data.string())};
  }
  return {
      "home-postgres", Outcome::kOk,
      fmt::format("the `{}` user can reach {} (airpg runs as root)", user.name(), home.string()),
      ""};
}

}  // namespace

std::vector<Check> CheckHome(const Config& config) {
  std::vector<Check> checks;
  const fs::path& home = config.home;
  std::string shown = home.string();
  std::error_code ec;
  if (fs::exists(home, ec)) {
    if (!fs::is_directory(home, ec)) {
      checks.push_back({"home", Outcome::kFail, fmt::format("{} is not a directory", shown),
                        "set AIRPG_HOME (or `home:` in airpg.yaml) to a directory"});
      return checks;
    }
    if (::access(home.c_str(), W_OK | X_OK) != 0) {
      checks.push_back({"home", Outcome::kFail, fmt::format("{} is not writable", shown),
                        "set AIRPG_HOME (or `home:` in airpg.yaml) to a writable directory"});
      return checks;
    }
    checks.push_back({"home", Outcome::kOk, fmt::format("{} (writable)", shown), ""});
  } else {
    fs::path probe = home.parent_path();
    while (!probe.empty() && !fs::exists(probe, ec)) probe = probe.parent_path();
    if (probe.empty() || ::access(probe.c_str(), W_OK | X_OK) != 0) {
      checks.push_back({"home", Outcome::kFail,
                        fmt::format("{} does not exist and cannot be created ({} is not writable)",
                                    shown, probe.string()),
                        "create it, or set AIRPG_HOME (or `home:` in airpg.yaml) to a writable "
                        "directory"});
      return checks;
    }
    checks.push_back(
        {"home", Outcome::kOk, fmt::format("{} (created by `airpg db start`)", shown), ""});
  }

  // Only the embedded cluster uses the rest.
  if (config.database_url) return checks;
  Result<pg::ServerUser> user = pg::ServerUser::ForThisProcess();
  if (!user.ok()) {
    checks.push_back({"home-postgres", Outcome::kFail, std::string(user.status().message()),
                      "create the `postgres` system user (install postgresql-15), or set "
                      "DATABASE_URL to use your own server"});
    return checks;
  }
  if (user->is_other_user()) checks.push_back(CheckServerUser(*user, home));
  pg::EmbeddedOptions options = EmbeddedOptionsFor(config);
  int port = options.tcp_port > 0 ? options.tcp_port : 5432;
  std::string socket = (fs::absolute(home, ec) / "pg" / fmt::format(".s.PGSQL.{}", port)).string();
  if (socket.size() >= kMaxSocketPath) {
    checks.push_back({"home-socket", Outcome::kOk,
                      fmt::format("{} is {} bytes, too long for a socket: the server's socket "
                                  "goes to a private directory under /tmp",
                                  socket, socket.size()),
                      ""});
  } else {
    checks.push_back({"home-socket", Outcome::kOk, fmt::format("socket {}", socket), ""});
  }
  return checks;
}

}  // namespace airpg::cli
