// `airpg schema plan`, `airpg migrate`, `airpg verify`, `airpg rollback` and
// `airpg runs [abandon RUN]`: the migration commands. Single-thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/config.h"

namespace airpg::cli {

struct MigrateCliOptions {
  std::optional<std::string> base;         // --base; else airtable.base_id
  std::optional<std::string> schema_file;  // schema plan: Meta API JSON instead of Airtable
  std::vector<std::string> tables;         // --tables a,b (ids or names)
  std::string schema;                      // --schema: live schema name ("" = default)
  bool dry_run = false;
  std::string attachments_dir;
  bool json = false;                   // --output json
  std::optional<int64_t> rollback_to;  // rollback --to RUN
  int64_t abandon_run = 0;             // runs abandon RUN
};

int RunSchemaPlan(const Config& config, const MigrateCliOptions& options);
int RunMigrate(const Config& config, const MigrateCliOptions& options);
int RunVerify(const Config& config, const MigrateCliOptions& options);
int RunRollback(const Config& config, const MigrateCliOptions& options);
int RunRuns(const Config& config, const MigrateCliOptions& options);
int RunRunsAbandon(const Config& config, const MigrateCliOptions& options);

}  // namespace airpg::cli
