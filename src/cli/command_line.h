// The command line: the one file that includes CLI11 (slow to compile). It
// declares every subcommand and its flags, loads the config and logging, and
// dispatches to the cmd_*.cc that runs it. Single-thread.
#pragma once

namespace airpg::cli {

// Parses argv, runs the command, and returns the process exit code.
int Run(int argc, char** argv);

}  // namespace airpg::cli
