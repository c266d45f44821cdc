#include "cli/progress.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/core.h>

namespace airpg::cli {
namespace {

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The measured page rate is trusted once a few pages have been read over a
// few seconds; before that the budget alone says how fast reading goes.
constexpr int64_t kPagesBeforeMeasuring = 3;
constexpr double kSecondsBeforeMeasuring = 2;

}  // namespace

std::string FormatEta(double seconds) {
  if (seconds < 1) return fmt::format("{} ms", static_cast<int64_t>(seconds * 1000));
  auto s = static_cast<int64_t>(std::ceil(seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::optional<double> EstimateSecondsLeft(const TableProgress& progress, double elapsed,
                                          const ProgressOptions& options) {
  if (!progress.expected || *progress.expected <= progress.records) return std::nullopt;
  int64_t left = *progress.expected - progress.records;
  int64_t pages_left = (left + options.records_per_page - 1) / options.records_per_page;
  double rate = options.pages_per_second;
  if (progress.pages >= kPagesBeforeMeasuring && elapsed >= kSecondsBeforeMeasuring) {
    rate = std::min(rate, progress.pages / elapsed);
  }
  if (rate <= 0) return std::nullopt;
  return pages_left / rate;
}

std::string FormatProgressLine(std::string_view job, const TableProgress& progress, double elapsed,
                               const ProgressOptions& options) {
  std::string records = progress.expected && !progress.done
                            ? fmt::format("{}/{}", progress.records, *progress.expected)
                            : fmt::format("{}", progress.records);
  std::string line = fmt::format("{}  {}  {} records  {} pages", job, progress.table_name, records,
                                 progress.pages);
  if (progress.resumed) return line + "  done (loaded by an earlier attempt)";
  if (elapsed > 0) {
    line += fmt::format("  {:.0f} rec/s", progress.records / elapsed);
  }
  if (progress.done) return line + fmt::format("  done in {}", FormatEta(elapsed));
  if (std::optional<double> left = EstimateSecondsLeft(progress, elapsed, options)) {
    return line + fmt::format("  ETA {}", FormatEta(*left));
  }
  if (progress.expected) return line;  // the count reached: the table ends any moment
  // No count to aim at: say how fast it can go at most, which is still honest.
  return line + fmt::format("  ETA ? (budget {:.0f} rec/s)",
                            options.pages_per_second * options.records_per_page);
}

ProgressReporter::ProgressReporter(std::string job, ProgressOptions options, Clock& clock,
                                   Sink sink)
    : job_(std::move(job)), options_(options), clock_(clock), sink_(std::move(sink)) {}

void ProgressReporter::Update(const TableProgress& progress) {
  Clock::time_point now = clock_.Now();
  if (progress.table_id != table_id_) {
    Finish();
    table_id_ = progress.table_id;
    table_started_ = now;
    last_written_ = now;
    // On a terminal the table shows at once; on a pipe only after a while.
    if (options_.live && !progress.done) {
      Write(FormatProgressLine(job_, progress, 0, options_), false);
    }
  }
  double elapsed = Seconds(now - table_started_);
  if (progress.done) {
    Write(FormatProgressLine(job_, progress, elapsed, options_), true);
    table_id_.clear();
    return;
  }
  auto gap = options_.live ? options_.redraw : options_.interval;
  if (now - last_written_ < gap) return;
  Write(FormatProgressLine(job_, progress, elapsed, options_), false);
}

void ProgressReporter::Finish() {
  if (line_open_) sink_("\n");
  line_open_ = false;
}

void ProgressReporter::Write(const std::string& line, bool final) {
  last_written_ = clock_.Now();
  if (options_.live) {
    // Back to the start of the line and clear it: a shorter line leaves no tail.
    sink_("\r\x1b[K" + line + (final ? "\n" : ""));
    line_open_ = !final;
  } else {
    sink_(line + "\n");
  }
}

}  // namespace airpg::cli
