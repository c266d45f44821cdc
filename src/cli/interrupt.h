// InterruptScope: turns SIGINT (Ctrl-C) and SIGTERM into a stop request that
// long jobs poll — the Airtable client's ClientOptions::stop, migrate's
// MigrateOptions::stop — so they end at a safe point (the current
// transaction rolled back, the job resumable) and the command exits 130.
// The handler only stores to lock-free atomics (async-signal-safe) and is
// installed once (SA_RESETHAND): a second Ctrl-C ends the process at once.
// `airpg migrate` uses it; `sync` and `serve` will reuse it.
// One scope at a time per process; the flag may be read from any thread.
#pragma once

#include <signal.h>

#include <atomic>

namespace airpg::cli {

class InterruptScope {
 public:
  // Installs the handlers; the earlier ones come back on destruction.
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

  // Becomes true on the first SIGINT or SIGTERM; never resets in this scope.
  const std::atomic<bool>* flag() const;
  bool interrupted() const { return flag()->load(); }
  // The signal that arrived first, or 0.
  int signal() const;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace airpg::cli
