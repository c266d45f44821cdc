#include "cli/job_progress.h"

#include <unistd.h>

#include <iostream>
#include <utility>

#include "base/log.h"
#include "migrate/last_run_counts.h"

namespace airpg::cli {
namespace {

bool quiet_progress = false;

}  // namespace

void SetQuietProgress(bool quiet) { quiet_progress = quiet; }
bool QuietProgress() { return quiet_progress; }

std::unique_ptr<ProgressReporter> StderrProgress(std::string job, const Config& config) {
  if (quiet_progress) return nullptr;
  ProgressOptions options;
  options.live = ::isatty(STDERR_FILENO) != 0;
  options.pages_per_second = config.airtable_per_base_limit;
  ProgressReporter::Sink sink;
  if (options.live) {
    sink = [](std::string_view text) { std::cerr << text << std::flush; };
  } else {
    // Off a terminal, progress is part of the log: its format (json) and level apply.
    sink = [](std::string_view text) {
      if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
      log::Info("{}", text);
    };
  }
  return std::make_unique<ProgressReporter>(std::move(job), options, SystemClock(),
                                            std::move(sink));
}

std::function<void(const migrate::TableSummary&)> MigrateProgress(ProgressReporter& reporter,
                                                                  pg::Connection& conn,
                                                                  const std::string& base_id) {
  // Without a count there is no ETA, only the rate: never a reason to fail.
  Result<std::map<std::string, int64_t>> counts = migrate::LastRunRecordCounts(conn, base_id);
  std::map<std::string, int64_t> expected;
  if (counts.ok()) expected = std::move(counts).value();
  return [&reporter, expected = std::move(expected)](const migrate::TableSummary& t) {
    TableProgress p;
    p.table_id = t.table_id;
    p.table_name = t.table_name;
    p.records = t.read;
    p.pages = t.pages;
    if (auto it = expected.find(t.table_id); it != expected.end()) p.expected = it->second;
    p.resumed = t.resumed;
    p.done = t.done || t.resumed;
    reporter.Update(p);
  };
}

migrate::VerifyProgressCallback VerifyProgress(ProgressReporter& reporter) {
  return [&reporter](const migrate::VerifyProgress& v) {
    TableProgress p;
    p.table_id = v.table_id;
    p.table_name = v.table_name;
    p.records = v.records;
    p.pages = v.pages;
    p.expected = v.postgres_records;
    p.done = v.done;
    reporter.Update(p);
  };
}

}  // namespace airpg::cli
