#include "daemon/airtable_metrics.h"

#include <cstdint>
#include <memory>
#include <mutex>

namespace airpg::daemon {

void CountForeignRateLimits(MetricsRegistry& metrics, const airtable::Client& client,
                            const std::string& base_id) {
  Counter& foreign = metrics.GetCounter(
      "airpg_airtable_foreign_429_total",
      "Airtable answers 429 caused by another client of the base (airpg backs off, then climbs "
      "back to its budget)",
      {{"base", base_id}});
  struct Seen {
    std::mutex mu;
    int64_t count = 0;  // guarded by mu
  };
  // Shared by the collector's copies (std::function copies it).
  auto seen = std::make_shared<Seen>();
  seen->count = client.stats().foreign_rate_limited;
  metrics.AddCollector([&client, &foreign, seen] {
    std::lock_guard<std::mutex> lock(seen->mu);
    int64_t now = client.stats().foreign_rate_limited;
    if (now > seen->count) foreign.Increment(static_cast<double>(now - seen->count));
    seen->count = now;
  });
}

}  // namespace airpg::daemon
