// `airpg doctor`: checks the config, Postgres (reachability and version) and
// the Airtable token's presence (never printing it), one line per check, and
// says how to fix each problem. Single-thread.
#pragma once

#include "base/result.h"
#include "cli/config.h"

namespace airpg::cli {

struct DoctorOptions {
  bool json = false;
};

// `config` may be an error: doctor reports it as a problem instead of failing.
// Exit 0 when nothing failed (warnings allowed), 1 otherwise.
int RunDoctor(const Result<Config>& config, const DoctorOptions& options);

}  // namespace airpg::cli
