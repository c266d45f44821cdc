// InterruptScope: turns SIGINT (Ctrl-C) and SIGTERM into a stop request. Long
// jobs take its token() (a std::stop_token, through base/stop.h's SignalStop):
// the Airtable client's retry waits and pacer waits, the sync service's sleep
// and migrate's steps end at once, at a safe point (the current transaction
// rolled back, the job resumable), and the command exits 130 (sync: 0).
// The handler stores to lock-free atomics and writes one byte to SignalStop's
// pipe (all async-signal-safe), and is installed once (SA_RESETHAND): a
// second Ctrl-C ends the process at once.
// One scope at a time per process; any thread may read it.
#pragma once

#include <signal.h>

#include <stop_token>

#include "base/stop.h"

namespace airpg::cli {

class InterruptScope {
 public:
  // Installs the handlers; the earlier ones come back on destruction.
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

  // Stopped right after the first SIGINT or SIGTERM (SignalStop's thread
  // requests the stop); never reset in this scope.
  std::stop_token token() const { return stop_.token(); }
  // True as soon as the handler has run (before token() may be stopped):
  // what a command reads to tell an interrupt from a failure.
  bool interrupted() const;
  // The signal that arrived first, or 0.
  int signal() const;

 private:
  SignalStop stop_;
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace airpg::cli
