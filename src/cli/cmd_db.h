// `airpg db start|stop|status|url|psql`: the embedded Postgres cluster.
// Single-thread.
#pragma once

#include <string>
#include <vector>

#include "cli/config.h"

namespace airpg::cli {

struct DbOptions {
  std::string action;                  // start | stop | status | url | psql
  bool tcp = false;                    // url: the loopback TCP URL
  bool json = false;                   // status: --output json
  std::vector<std::string> psql_args;  // psql: extra arguments after --
};

int RunDb(const Config& config, const DbOptions& options);

}  // namespace airpg::cli
