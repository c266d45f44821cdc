#include "daemon/history_retention.h"

#include <string>

namespace airpg::daemon {

Result<Pruned> PruneHistory(pg::Connection& conn, const HistoryRetention& retention) {
  Pruned pruned;
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows pings,
      conn.Exec("DELETE FROM airpg.inbox WHERE received_at < now() - make_interval(hours => $1)",
                {std::to_string(retention.inbox.count())}));
  pruned.pings = pings.AffectedRows();
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows events,
      conn.Exec("DELETE FROM airpg.sync_events WHERE at < now() - make_interval(hours => $1)",
                {std::to_string(retention.events.count())}));
  pruned.events = events.AffectedRows();
  return pruned;
}

}  // namespace airpg::daemon
