#include "pg/notifications.h"

#include <libpq-fe.h>
#include <poll.h>

#include "pg/quote.h"

namespace airpg::pg {

Status Listen(Connection& conn, std::string_view channel) {
  return conn.Run("LISTEN " + QuoteIdentifier(channel));
}

Result<int> WaitForNotification(Connection& conn, std::chrono::milliseconds timeout) {
  PGconn* raw = conn.raw();
  auto drain = [raw] {
    int count = 0;
    while (PGnotify* n = PQnotifies(raw)) {
      PQfreemem(n);
      ++count;
    }
    return count;
  };
  // Notifications read along with an earlier query's answer are queued already.
  if (int queued = drain(); queued > 0) return queued;
  int socket = PQsocket(raw);
  if (socket < 0) return UnavailableError("the listening connection is closed");
  pollfd fd{socket, POLLIN, 0};
  int ready = poll(&fd, 1, static_cast<int>(timeout.count()));
  if (ready < 0) return 0;  // interrupted: the caller waits again
  if (ready == 0) return 0;
  if (PQconsumeInput(raw) == 0 || PQstatus(raw) != CONNECTION_OK) {
    return UnavailableError("the listening connection was lost");
  }
  return drain();
}

}  // namespace airpg::pg
