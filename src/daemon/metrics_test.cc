#include "daemon/metrics.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace airpg::daemon {
namespace {

TEST(MetricsTest, EmptyRegistryRendersNothing) { EXPECT_EQ(MetricsRegistry().Render(), ""); }

TEST(MetricsTest, CountersAndGaugesWithLabels) {
  MetricsRegistry registry;
  registry
      .GetCounter("airpg_webhook_pings_total", "Pings received, by outcome.",
                  {{"outcome", "accepted"}})
      .Increment();
  Counter& bad = registry.GetCounter("airpg_webhook_pings_total", "ignored: the first help stays",
                                     {{"outcome", "bad_mac"}});
  bad.Increment(2);
  registry.GetCounter("airpg_webhook_pings_total", "", {{"outcome", "accepted"}}).Increment(0.5);
  Gauge& lag = registry.GetGauge("airpg_sync_lag_seconds", "Seconds behind Airtable.",
                                 {{"table", "tblA"}, {"base", "appB"}});
  lag.Set(12.25);
  lag.Add(-0.25);
  registry.GetGauge("airpg_up", "Whether the process runs.").Set(1);
  EXPECT_EQ(registry.Render(),
            "# HELP airpg_sync_lag_seconds Seconds behind Airtable.\n"
            "# TYPE airpg_sync_lag_seconds gauge\n"
            "airpg_sync_lag_seconds{base=\"appB\",table=\"tblA\"} 12\n"
            "# HELP airpg_up Whether the process runs.\n"
            "# TYPE airpg_up gauge\n"
            "airpg_up 1\n"
            "# HELP airpg_webhook_pings_total Pings received, by outcome.\n"
            "# TYPE airpg_webhook_pings_total counter\n"
            "airpg_webhook_pings_total{outcome=\"accepted\"} 1.5\n"
            "airpg_webhook_pings_total{outcome=\"bad_mac\"} 2\n");
}

TEST(MetricsTest, LabelOrderNamesOneSeries) {
  MetricsRegistry registry;
  Counter& a = registry.GetCounter("c", "h", {{"x", "1"}, {"y", "2"}});
  Counter& b = registry.GetCounter("c", "h", {{"y", "2"}, {"x", "1"}});
  EXPECT_EQ(&a, &b);
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry
      .GetCounter("errors_total", "Errors; a \\ and a\nnewline.",
                  {{"reason", "say \"hi\"\\now\nthen"}})
      .Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP errors_total Errors; a \\\\ and a\\nnewline.\n"
            "# TYPE errors_total counter\n"
            "errors_total{reason=\"say \\\"hi\\\"\\\\now\\nthen\"} 1\n");
}

TEST(MetricsTest, HistogramBucketsSumAndCount) {
  MetricsRegistry registry;
  Histogram& h = registry.GetHistogram("airpg_apply_seconds", "Apply time.", {1, 0.125, 0.5},
                                       {{"base", "appB"}});
  for (double v : {0.0625, 0.125, 0.25, 0.75, 2.0}) h.Observe(v);
  registry.GetHistogram("plain_seconds", "No labels.", {2.5});
  EXPECT_EQ(registry.Render(),
            "# HELP airpg_apply_seconds Apply time.\n"
            "# TYPE airpg_apply_seconds histogram\n"
            "airpg_apply_seconds_bucket{base=\"appB\",le=\"0.125\"} 2\n"
            "airpg_apply_seconds_bucket{base=\"appB\",le=\"0.5\"} 3\n"
            "airpg_apply_seconds_bucket{base=\"appB\",le=\"1\"} 4\n"
            "airpg_apply_seconds_bucket{base=\"appB\",le=\"+Inf\"} 5\n"
            "airpg_apply_seconds_sum{base=\"appB\"} 3.1875\n"
            "airpg_apply_seconds_count{base=\"appB\"} 5\n"
            "# HELP plain_seconds No labels.\n"
            "# TYPE plain_seconds histogram\n"
            "plain_seconds_bucket{le=\"2.5\"} 0\n"
            "plain_seconds_bucket{le=\"+Inf\"} 0\n"
            "plain_seconds_sum 0\n"
            "plain_seconds_count 0\n");
}

TEST(MetricsTest, SpecialValues) {
  MetricsRegistry registry;
  registry.GetGauge("g", "h", {{"v", "inf"}}).Set(std::numeric_limits<double>::infinity());
  registry.GetGauge("g", "h", {{"v", "nan"}}).Set(std::nan(""));
  registry.GetGauge("g", "h", {{"v", "neg"}}).Set(-std::numeric_limits<double>::infinity());
  registry.GetGauge("g", "h", {{"v", "big"}}).Set(1e21);
  EXPECT_EQ(registry.Render(),
            "# HELP g h\n# TYPE g gauge\n"
            "g{v=\"big\"} 1e+21\n"
            "g{v=\"inf\"} +Inf\n"
            "g{v=\"nan\"} NaN\n"
            "g{v=\"neg\"} -Inf\n");
}

// A collector samples something live (a queue) into a gauge on every render.
TEST(MetricsTest, CollectorsRunBeforeEachRender) {
  MetricsRegistry registry;
  Gauge& depth = registry.GetGauge("queue_depth", "Waiting");
  std::atomic<int> queue{3};
  registry.AddCollector([&] { depth.Set(queue.load()); });
  EXPECT_NE(registry.Render().find("queue_depth 3\n"), std::string::npos);
  queue = 0;
  EXPECT_NE(registry.Render().find("queue_depth 0\n"), std::string::npos);
}

TEST(MetricsTest, CountsFromManyThreads) {
  MetricsRegistry registry;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&registry] {
      for (int i = 0; i < 1000; ++i) {
        registry.GetCounter("c", "h").Increment();
        registry.GetHistogram("h", "h", {1}).Observe(0.5);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(registry.GetCounter("c", "h").value(), 4000);
  Histogram::Snapshot snap = registry.GetHistogram("h", "h", {1}).snapshot();
  EXPECT_EQ(snap.count, 4000u);
  EXPECT_EQ(snap.cumulative[0], 4000u);
  EXPECT_EQ(snap.sum, 2000);
}

}  // namespace
}  // namespace airpg::daemon
