// CLI exit codes, stable and listed in docs/errors.md: scripts rely on them.
// Pure.
#pragma once

#include "base/status.h"

namespace airpg::cli {

enum ExitCode : int {
  kExitOk = 0,      // success
  kExitFailed = 1,  // the job failed (see the message)
  kExitUsage = 2,   // bad usage or configuration: fix the command line or config
  kExitUnavailable =
      3,          // a dependency (Postgres, Airtable) is unreachable or not running: retry later
  kExitAuth = 4,  // credentials rejected or permission denied: fix the token or password
  kExitInterrupted = 130,
};

// The exit code for a failed job's Status.
int ExitCodeFor(const Status& status);

}  // namespace airpg::cli
