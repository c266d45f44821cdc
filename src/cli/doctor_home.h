// `airpg doctor`'s look at the data directory, the way `airpg db start` will
// use it, without changing anything: it exists or can be created, airpg can
// write it, the `postgres` user that runs the embedded server when airpg runs
// as root can reach it and owns what is already there, and where the
// server's socket will go (the data directory, or /tmp when the path is too
// long for a socket). Single-thread.
#pragma once

#include <vector>

#include "cli/config.h"
#include "cli/doctor_check.h"

namespace airpg::cli {

std::vector<Check> CheckHome(const Config& config);

}  // namespace airpg::cli
