#include "cli/interrupt.h"

#include <atomic>

namespace airpg::cli {
namespace {

// Lock-free, so the handler may use them. g_signal is set by the handler
// itself, so interrupted() holds as soon as raise() returns; the stop token
// follows a thread hop later.
std::atomic<int> g_signal{0};
std::atomic<SignalStop*> g_stop{nullptr};
static_assert(std::atomic<int>::is_always_lock_free &&
              std::atomic<SignalStop*>::is_always_lock_free);

extern "C" void OnInterrupt(int signal) {
  int none = 0;
  g_signal.compare_exchange_strong(none, signal);
  if (SignalStop* stop = g_stop.load()) stop->Notify();
}

}  // namespace

InterruptScope::InterruptScope() {
  g_signal.store(0);
  g_stop.store(&stop_);
  struct sigaction action {};
  action.sa_handler = &OnInterrupt;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: blocking calls (libpq, libcurl) carry on and the job notices
  // the stop at its next wait or check; SA_RESETHAND: the second signal is fatal.
  action.sa_flags = SA_RESTART | SA_RESETHAND;
  sigaction(SIGINT, &action, &old_int_);
  sigaction(SIGTERM, &action, &old_term_);
}

InterruptScope::~InterruptScope() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  g_stop.store(nullptr);
}

bool InterruptScope::interrupted() const { return g_signal.load() != 0; }

int InterruptScope::signal() const { return g_signal.load(); }

}  // namespace airpg::cli
