// The last line a failing command writes on stderr: "airpg: <message>", or,
// under --log-format json (log.format), one {"ts","level":"error","msg"}
// object shaped like the log's own lines, so that whatever collects the JSON
// log gets the reason a run ended too. Redacted like every log line.
// Single-thread: the format is set once, early in Run().
#pragma once

#include <string_view>

#include "base/status.h"

namespace airpg::cli {

// true: error lines are JSON objects (log format json).
void SetJsonErrorLines(bool json);

// Writes the error line for `message` to stderr.
void PrintErrorLine(std::string_view message);

// How a command ends on a failed Status: its error line, then the exit code
// (ExitCodeFor(status), or `exit_code` when the command knows better).
int Fail(const Status& status);
int Fail(const Status& status, int exit_code);

}  // namespace airpg::cli
