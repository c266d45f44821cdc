// WebhookNotifier: delivers webhook pings (API.md §6.6) from its own thread —
// POST {"base","webhook","timestamp"} to the hook's notificationUrl with
// X-Airtable-Content-MAC — and retries failures with back-off on the emulated
// clock (retry n waits 30 s · 2^(n-1), at most 3 h, up to 12 retries). A hook
// with a ping already queued gets no second one (coalescing).
// Thread-safe: Enqueue from any thread; callbacks run on the notifier thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "emulator/clock.h"
#include "emulator/webhook_store.h"

namespace airpg::emulator {

class WebhookNotifier {
 public:
  struct Outcome {
    bool success = false;
    std::string error;  // lastNotificationResult.error.message
    int64_t duration_millis = 0;
    bool will_retry = false;
  };
  // Called before each attempt: whether the hook still wants this ping.
  using WantsPing = std::function<bool(const PingRequest&)>;
  // Called after each attempt with its outcome.
  using OnOutcome = std::function<void(const PingRequest&, const Outcome&)>;

  static constexpr int kMaxRetries = 12;

  WebhookNotifier(const EmulatorClock& clock, WantsPing wants, OnOutcome on_outcome);
  ~WebhookNotifier();  // stops and joins; queued pings are dropped
  WebhookNotifier(const WebhookNotifier&) = delete;
  WebhookNotifier& operator=(const WebhookNotifier&) = delete;

  // Queues a ping due now; `copies` = 0 drops it, 2 duplicates it (faults).
  void Enqueue(PingRequest ping, int copies);

  // Pings sent so far (each copy counts).
  int64_t sent() const;

 private:
  struct Queued {
    PingRequest ping;
    int copies;
    int64_t due_millis;
  };
  void Run();
  Outcome Deliver(const PingRequest& ping, int copies);

  const EmulatorClock& clock_;
  WantsPing wants_;
  OnOutcome on_outcome_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Queued> queue_;     // guarded by mu_
  std::set<std::string> queued_;  // guarded by mu_; webhook ids with a ping in queue_
  bool stop_ = false;             // guarded by mu_
  int64_t sent_ = 0;              // guarded by mu_
  std::thread thread_;            // last: starts after the members above exist
};

}  // namespace airpg::emulator
