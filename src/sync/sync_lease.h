// SyncLease: one `airpg sync` per base, wherever it runs. The holder keeps a
// Postgres session of its own — not the sync's working connection, which is
// reconnected at will — that holds a session advisory lock on the base
// (keys hashtext('airpg.sync'), hashtext(base id)) and names its process in
// application_name ("airpg sync <pid>@<host>"), so a second sync, on this
// machine or another one using the same database, is refused with the
// holder's host, pid and since when (pg_locks ⋈ pg_stat_activity).
//
// The lock ends with its session, so a holder that dies frees it at once: a
// SIGKILLed process's socket is closed by its kernel and the idle backend
// ends; a machine that vanishes is dropped by the server's TCP keepalives
// (set to ~25 s on this session). A Postgres restart ends the session too:
// Held() then turns false and the holder must Acquire again before it goes
// on (another sync may have taken the base in between; the payload cursor's
// compare-and-set keeps even that overlap from applying a window twice).
// Single-thread.
#pragma once

#include <chrono>
#include <stop_token>
#include <string>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::sync {

class SyncLease {
 public:
  // Opens the lease session and takes the base's lock, trying again for up
  // to `wait` while another session holds it (a killed holder's backend may
  // take a moment to end). kFailedPrecondition naming the holder when it is
  // still held; kUnavailable when Postgres cannot be reached; kCancelled when
  // `stop` is stopped while waiting (at once: the wait is on it).
  static Result<SyncLease> Acquire(const std::string& conninfo, const std::string& base_id,
                                   std::chrono::milliseconds wait, std::stop_token stop = {});

  // One round trip on the lease session: false once it is gone (and the lock
  // with it). After false, destroy this lease before acquiring it again, so
  // a session that only failed one statement lets go of the lock.
  bool Held();

  // The holder as the refusal names it, e.g. "airpg sync pid 41 on host db1
  // since 2026-12-07T04:15:45Z"; "" when nobody holds the base's lock.
  static Result<std::string> DescribeHolder(pg::Connection& conn, const std::string& base_id);

 private:
  explicit SyncLease(pg::Connection conn) : conn_(std::move(conn)) {}

  pg::Connection conn_;
};

}  // namespace airpg::sync
