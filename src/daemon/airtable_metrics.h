// The Airtable series of /metrics that come from the client and its pacer
// rather than from sync steps: 429s another client of the base caused
// (airpg_airtable_foreign_429_total, issue 14). Sampled when /metrics is
// rendered (a registry collector), so no step has to remember them.
// Thread-safe (the client's counters are atomics; the collector keeps its own
// last sample under a mutex).
#pragma once

#include <string>

#include "airtable/client.h"
#include "daemon/metrics.h"

namespace airpg::daemon {

// Registers airpg_airtable_foreign_429_total{base=`base_id`} in `metrics` and
// a collector that brings it up to `client`'s count. REQUIRES: `client`
// outlives every Render of `metrics`.
void CountForeignRateLimits(MetricsRegistry& metrics, const airtable::Client& client,
                            const std::string& base_id);

}  // namespace airpg::daemon
