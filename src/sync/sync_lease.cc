#include "sync/sync_lease.h"

#include <fmt/core.h>
#include <unistd.h>

#include <climits>

#include "base/clock.h"

namespace airpg::sync {
namespace {

// The holder's name in pg_stat_activity: Postgres keeps 63 bytes of it, so
// a long host name is cut there.
std::string HolderName() {
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return fmt::format("airpg sync {}@{}", ::getpid(), host[0] ? host : "unknown-host");
}

// The lease's lock among pg_locks rows: a two-key advisory lock keeps its
// keys in classid and objid, objsubid 2.
constexpr const char* kHolderSql =
    "SELECT a.application_name, a.pid, "
    "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "host(a.client_addr) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND l.classid = hashtext('airpg.sync')::oid AND l.objid = hashtext($1)::oid";

}  // namespace

Result<std::string> SyncLease::DescribeHolder(pg::Connection& conn, const std::string& base_id) {
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows, conn.Exec(kHolderSql, {base_id}));
  if (rows.empty()) return std::string();
  std::string name(rows.Get(0, 0));
  std::string since = rows.IsNull(0, 2) ? "an unknown time" : std::string(rows.Get(0, 2));
  // "airpg sync <pid>@<host>", as HolderName wrote it.
  constexpr std::string_view kPrefix = "airpg sync ";
  size_t at = name.find('@');
  if (name.rfind(kPrefix, 0) == 0 && at != std::string::npos) {
    return fmt::format("airpg sync pid {} on host {} since {}",
                       name.substr(kPrefix.size(), at - kPrefix.size()), name.substr(at + 1),
                       since);
  }
  // Not an airpg name (a session someone opened by hand): what Postgres knows.
  return fmt::format("Postgres session {} (\"{}\"{}) since {}", rows.Get(0, 1), name,
                     rows.IsNull(0, 3) ? "" : fmt::format(" from {}", rows.Get(0, 3)), since);
}

Result<SyncLease> SyncLease::Acquire(const std::string& conninfo, const std::string& base_id,
                                     std::chrono::milliseconds wait, std::stop_token stop) {
  AIRPG_ASSIGN_OR_RETURN(pg::Connection conn, pg::Connection::Open(conninfo));
  AIRPG_RETURN_IF_ERROR(
      conn.Run("SELECT set_config('application_name', $1, false)", {HolderName()}));
  // Over TCP, the server drops this session ~25 s after the holder's machine
  // stops answering (the default is the OS's two hours). Ignored on a Unix
  // socket; best effort, as a managed Postgres may refuse the settings.
  (void)conn.Run(
      "SELECT set_config('tcp_keepalives_idle', '10', false), "
      "set_config('tcp_keepalives_interval', '5', false), "
      "set_config('tcp_keepalives_count', '3', false)");
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows locked,
        conn.Exec("SELECT pg_try_advisory_lock(hashtext('airpg.sync'), hashtext($1))", {base_id}));
    if (locked.Get(0, 0) == "t") return SyncLease(std::move(conn));
    if (std::chrono::steady_clock::now() >= deadline) break;
    if (!SystemClock().SleepFor(std::chrono::milliseconds(100), stop))
      return CancelledError("stopped while waiting for the base");
  }
  AIRPG_ASSIGN_OR_RETURN(std::string holder, DescribeHolder(conn, base_id));
  return FailedPreconditionError(fmt::format(
      "base {} is already being synced by {}; stop that sync first (one sync per base)", base_id,
      holder.empty() ? "another session (it ended just now: try again)" : holder));
}

bool SyncLease::Held() { return conn_.Run("SELECT 1").ok(); }

}  // namespace airpg::sync
