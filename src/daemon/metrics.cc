#include "daemon/metrics.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cmath>

#include <fmt/core.h>

namespace airpg::daemon {
namespace {

[[maybe_unused]] bool ValidName(std::string_view name, bool colons) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    bool ok = std::isalpha(c) || c == '_' || (colons && c == ':') || (i > 0 && std::isdigit(c));
    if (!ok) return false;
  }
  return true;
}

Labels Normalize(Labels labels) {
  std::sort(labels.begin(), labels.end());
  for ([[maybe_unused]] const auto& [name, value] : labels) {
    assert(ValidName(name, false) && name.rfind("__", 0) != 0 && name != "le");
  }
  return labels;
}

// Label values escape backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// HELP text escapes backslash and newline.
std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);  // shortest form that reads back exactly; 3 not 3.0
}

// `{a="x",b="y"}`, with `le` last when given; "" without labels.
std::string LabelSet(const Labels& labels, std::string_view le = {}) {
  if (labels.empty() && le.empty()) return "";
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ',';
    out += name + "=\"" + EscapeLabelValue(value) + "\"";
  }
  if (!le.empty()) out += std::string(out.size() > 1 ? "," : "") + "le=\"" + std::string(le) + "\"";
  return out + "}";
}

std::string_view KindName(int kind) {
  static constexpr std::string_view kNames[] = {"counter", "gauge", "histogram"};
  return kNames[kind];
}

}  // namespace

void Counter::Increment(double by) {
  assert(by >= 0);
  value_.fetch_add(by, std::memory_order_relaxed);
}

void Gauge::Add(double by) { value_.fetch_add(by, std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  std::lock_guard lock(mu_);
  ++counts_[bucket];
  sum_ += value;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot out;
  std::lock_guard lock(mu_);
  uint64_t running = 0;
  for (uint64_t n : counts_) out.cumulative.push_back(running += n);
  out.sum = sum_;
  out.count = running;
  return out;
}

MetricsRegistry::Family& MetricsRegistry::FamilyFor(std::string_view name, Kind kind,
                                                    std::string_view help,
                                                    const std::vector<double>& bounds) {
  assert(ValidName(name, true));
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{kind, std::string(help), bounds}).first;
  }
  if (it->second.kind == kind) return it->second;
  assert(false && "a metric name is used for two kinds of metric");
  mismatched_.push_back(std::make_unique<Family>(Family{kind, std::string(help), bounds}));
  return *mismatched_.back();
}

Counter& MetricsRegistry::GetCounter(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mu_);
  auto& series = FamilyFor(name, Kind::kCounter, help, {}).counters[Normalize(std::move(labels))];
  if (!series) series = std::make_unique<Counter>();
  return *series;
}

Gauge& MetricsRegistry::GetGauge(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mu_);
  auto& series = FamilyFor(name, Kind::kGauge, help, {}).gauges[Normalize(std::move(labels))];
  if (!series) series = std::make_unique<Gauge>();
  return *series;
}

Histogram& MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         std::vector<double> bounds, Labels labels) {
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  std::erase_if(bounds, [](double b) { return !std::isfinite(b); });
  std::lock_guard lock(mu_);
  Family& family = FamilyFor(name, Kind::kHistogram, help, bounds);
  auto& series = family.histograms[Normalize(std::move(labels))];
  if (!series) series = std::make_unique<Histogram>(family.bounds);
  return *series;
}

void MetricsRegistry::AddCollector(std::function<void()> collect) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collect));
}

std::string MetricsRegistry::Render() const {
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard lock(mu_);
    collectors = collectors_;
  }
  for (const auto& collect : collectors) collect();
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, EscapeHelp(family.help), name,
                       KindName(static_cast<int>(family.kind)));
    for (const auto& [labels, counter] : family.counters) {
      out += name + LabelSet(labels) + " " + FormatValue(counter->value()) + "\n";
    }
    for (const auto& [labels, gauge] : family.gauges) {
      out += name + LabelSet(labels) + " " + FormatValue(gauge->value()) + "\n";
    }
    for (const auto& [labels, histogram] : family.histograms) {
      Histogram::Snapshot snap = histogram->snapshot();
      const std::vector<double>& bounds = histogram->bounds();
      for (size_t i = 0; i <= bounds.size(); ++i) {
        std::string le = i < bounds.size() ? FormatValue(bounds[i]) : "+Inf";
        out += name + "_bucket" + LabelSet(labels, le) + " " + std::to_string(snap.cumulative[i]) +
               "\n";
      }
      out += name + "_sum" + LabelSet(labels) + " " + FormatValue(snap.sum) + "\n";
      out += name + "_count" + LabelSet(labels) + " " + std::to_string(snap.count) + "\n";
    }
  }
  return out;
}

}  // namespace airpg::daemon
