// MetricsRegistry: the counters, gauges and histograms of an airpg process,
// rendered for GET /metrics in the Prometheus text exposition format 0.0.4
// (# HELP / # TYPE lines, escaped label values, histogram _bucket/_sum/_count
// with le="+Inf"). Code records into the series it got from the registry; the
// daemon wires one registry into every component and serves Render().
// Thread-safe: the registry's mutex guards its families; counters and gauges
// are atomics and each histogram has its own mutex, so recording never takes
// the registry lock. Series live as long as the registry.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace airpg::daemon {

// Label name → value. Order does not matter: {a,b} and {b,a} name one series.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Only goes up (Prometheus resets it when the process restarts).
class Counter {
 public:
  void Increment(double by = 1);  // REQUIRES: by >= 0
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double by);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations per bucket (upper bounds, +Inf implied) with their sum.
class Histogram {
 public:
  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };

  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  Snapshot snapshot() const;

 private:
  const std::vector<double> bounds_;  // ascending, finite
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // guarded by mu_; per bound, then +Inf (not cumulative)
  double sum_ = 0;                // guarded by mu_
};

class MetricsRegistry {
 public:
  // The series of family `name` with `labels`, created on first use; `help`
  // is kept from the family's first registration, and so are a histogram
  // family's `bounds`. REQUIRES: `name` matches [a-zA-Z_:][a-zA-Z0-9_:]*,
  // label names match [a-zA-Z_][a-zA-Z0-9_]*, do not start with "__" and are
  // not "le" (histograms use it for their buckets), and
  // a name is used for one kind of metric only (a mismatch asserts in debug
  // builds and returns a series that is never rendered in release).
  Counter& GetCounter(std::string_view name, std::string_view help, Labels labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, Labels labels = {});
  Histogram& GetHistogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                          Labels labels = {});

  // Called at the start of every Render, outside the registry's lock, to
  // bring gauges that sample something live (a queue) up to date.
  // REQUIRES: thread-safe (renders run on the server's threads).
  void AddCollector(std::function<void()> collect);

  // Every family in name order, each series in label order.
  std::string Render() const;

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Family {
    Kind kind;
    std::string help;
    std::vector<double> bounds;  // histograms
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
  };

  // The family to put the series in; REQUIRES: mu_ held.
  Family& FamilyFor(std::string_view name, Kind kind, std::string_view help,
                    const std::vector<double>& bounds);

  mutable std::mutex mu_;
  std::vector<std::function<void()>> collectors_;        // guarded by mu_
  std::map<std::string, Family, std::less<>> families_;  // guarded by mu_
  std::vector<std::unique_ptr<Family>> mismatched_;      // guarded by mu_; never rendered
};

}  // namespace airpg::daemon
