// ProgressReporter: the progress of a long job (migrate, verify), one table
// at a time, on stderr while stdout keeps the report. On a terminal it keeps
// one live line per table (records and pages done, rate, ETA) that is
// rewritten in place and left standing when the table ends; on a pipe or in
// a log it writes one line per table at most every `interval`, plus one when
// the table ends. Pure formatting and throttling: it reads the time from a
// Clock and writes through a sink, so tests drive it with a ManualClock.
//
// The ETA is honest because it is bounded by the base's request budget
// (airtable.per_base_limit, pages of 100 records): airpg cannot read faster
// than that, so the measured rate is used only when it is slower.
// Single-thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"

namespace airpg::cli {

// Where one table of a job is.
struct TableProgress {
  std::string table_id;
  std::string table_name;
  int64_t records = 0;
  int64_t pages = 0;
  // Records the table is expected to hold (the last run's count, Postgres's
  // rows); nullopt when nothing is known (a first migration): no ETA then.
  std::optional<int64_t> expected;
  bool done = false;     // the table's last call
  bool resumed = false;  // done by an earlier attempt of the run (with done)
};

struct ProgressOptions {
  bool live = false;            // a terminal: one line rewritten in place
  double pages_per_second = 3;  // the base's request budget
  int records_per_page = 100;   // Airtable's page size
  std::chrono::milliseconds interval{std::chrono::seconds(5)};  // between lines on a pipe
  std::chrono::milliseconds redraw{200};                        // between redraws on a terminal
};

// "850 ms", "42s", "3m05s", "1h02m".
std::string FormatEta(double seconds);

// Seconds left for `progress` at the budget (or the measured rate when
// slower) after `elapsed` seconds; nullopt when the expected count is unknown
// or already passed.
std::optional<double> EstimateSecondsLeft(const TableProgress& progress, double elapsed,
                                          const ProgressOptions& options);

// One line, without a newline: "migrate  Clients  5400/20000 records  54 pages
// 300 rec/s  ETA 49s" (or "done in 1m07s" once done).
std::string FormatProgressLine(std::string_view job, const TableProgress& progress, double elapsed,
                               const ProgressOptions& options);

class ProgressReporter {
 public:
  using Sink = std::function<void(std::string_view)>;

  ProgressReporter(std::string job, ProgressOptions options, Clock& clock, Sink sink);
  ~ProgressReporter() { Finish(); }
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // A table's counts after a page; a new table_id starts that table's clock
  // (and ends a live line the previous table left open).
  void Update(const TableProgress& progress);
  // Ends a live line still open (a job that stopped mid-table).
  void Finish();

 private:
  void Write(const std::string& line, bool final);

  std::string job_;
  ProgressOptions options_;
  Clock& clock_;
  Sink sink_;
  std::string table_id_;  // the table being reported; "" before the first
  Clock::time_point table_started_{};
  Clock::time_point last_written_{};
  bool line_open_ = false;  // a live line without its newline yet
};

}  // namespace airpg::cli
