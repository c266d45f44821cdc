// `airpg doctor`: checks the config, the data directory (doctor_home.h),
// Postgres (reachability and version), the Airtable token (never printing
// it) and Airtable online (doctor_airtable.h: endpoint, token accepted, base,
// scopes), one line per check, each problem with one line saying how to fix
// it. Single-thread.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "cli/config.h"

namespace airpg::cli {

struct DoctorOptions {
  bool json = false;
  std::optional<std::string> base;  // --base; else airtable.base_id
  bool offline = false;             // --offline: do not ask Airtable
};

// `config` may be an error: doctor reports it as a problem instead of failing.
// Exit 0 when nothing failed (warnings allowed), 1 otherwise.
int RunDoctor(const Result<Config>& config, const DoctorOptions& options);

}  // namespace airpg::cli
