#include "emulator/webhook_notifier.h"

#include <chrono>

#include "airtable/webhook_mac.h"
#include "http/client.h"

namespace airpg::emulator {
namespace {

int64_t BackoffMillis(int retry_number) {
  int64_t delay = 30000LL << std::min(retry_number - 1, 20);
  return std::min<int64_t>(delay, 3LL * 3600 * 1000);
}

}  // namespace

WebhookNotifier::WebhookNotifier(const EmulatorClock& clock, WantsPing wants, OnOutcome on_outcome)
    : clock_(clock),
      wants_(std::move(wants)),
      on_outcome_(std::move(on_outcome)),
      thread_([this] { Run(); }) {}

WebhookNotifier::~WebhookNotifier() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void WebhookNotifier::Enqueue(PingRequest ping, int copies) {
  {
    std::lock_guard lock(mu_);
    if (queued_.count(ping.webhook_id)) return;
    queued_.insert(ping.webhook_id);
    queue_.push_back({std::move(ping), copies, clock_.NowMillis()});
  }
  wake_.notify_all();
}

int64_t WebhookNotifier::sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}

WebhookNotifier::Outcome WebhookNotifier::Deliver(const PingRequest& ping, int copies) {
  Outcome outcome;
  if (copies == 0) {  // a dropped ping: Airtable believes it was delivered
    outcome.success = true;
    return outcome;
  }
  std::string body = "{\"base\":{\"id\":\"" + ping.base_id + "\"},\"webhook\":{\"id\":\"" +
                     ping.webhook_id + "\"},\"timestamp\":\"" +
                     FormatIsoMillis(clock_.NowMillis()) + "\"}";
  http::Client client;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < copies; ++i) {
    auto response =
        client.Send("POST", ping.url,
                    {{"Content-Type", "application/json"},
                     {"X-Airtable-Content-MAC", airtable::ContentMac(ping.mac_key, body)}},
                    body);
    {
      std::lock_guard lock(mu_);
      ++sent_;
    }
    if (!response.ok()) {
      outcome.error =
          "Failed to send the HTTP request: " + std::string(response.status().message());
    } else if (response->status != 200 && response->status != 204) {
      outcome.error = "The HTTP request returned a " + std::to_string(response->status) +
                      " status code instead of 200 or 204.";
    } else {
      outcome.success = true;
      outcome.error.clear();
    }
  }
  outcome.duration_millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - start)
                                .count();
  return outcome;
}

void WebhookNotifier::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    // The emulated clock can jump, so due times are rechecked on a short tick.
    wake_.wait_for(lock, std::chrono::milliseconds(20));
    if (stop_) break;
    int64_t now = clock_.NowMillis();
    std::vector<Queued> due;
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (it->due_millis <= now) {
        due.push_back(std::move(*it));
        queued_.erase(due.back().ping.webhook_id);
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
    lock.unlock();
    for (Queued& item : due) {
      if (!wants_(item.ping)) continue;
      Outcome outcome = Deliver(item.ping, item.copies);
      outcome.will_retry = !outcome.success && item.ping.retry_number < kMaxRetries;
      // The retry is queued before the outcome is published, so whoever sees
      // the failure also sees its retry scheduled.
      if (outcome.will_retry) {
        std::lock_guard relock(mu_);
        if (!queued_.count(item.ping.webhook_id)) {
          PingRequest retry = item.ping;
          ++retry.retry_number;
          queued_.insert(retry.webhook_id);
          queue_.push_back({retry, 1, clock_.NowMillis() + BackoffMillis(retry.retry_number)});
        }
      }
      on_outcome_(item.ping, outcome);
    }
    lock.lock();
  }
}

}  // namespace airpg::emulator
