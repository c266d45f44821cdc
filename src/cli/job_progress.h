// The progress of airpg's long commands (migrate, verify), wired to a
// ProgressReporter on stderr: a live line per table on a terminal, log lines
// (text or JSON, as the log is) at most every few seconds otherwise, nothing
// under --quiet. Single-thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "cli/config.h"
#include "cli/progress.h"
#include "migrate/load_context.h"
#include "migrate/verify.h"
#include "pg/connection.h"

namespace airpg::cli {

// --quiet: no progress from any command. Set once, early in Run().
void SetQuietProgress(bool quiet);
bool QuietProgress();

// A reporter for `job` at the config's request budget, or null under --quiet.
std::unique_ptr<ProgressReporter> StderrProgress(std::string job, const Config& config);

// Migrate's per-page counts as progress, each table expected to hold what
// the base's live run read (migrate::LastRunRecordCounts; unknown at first).
std::function<void(const migrate::TableSummary&)> MigrateProgress(ProgressReporter& reporter,
                                                                  pg::Connection& conn,
                                                                  const std::string& base_id);

// Verify's reading of Airtable as progress, against Postgres's row counts.
migrate::VerifyProgressCallback VerifyProgress(ProgressReporter& reporter);

}  // namespace airpg::cli
