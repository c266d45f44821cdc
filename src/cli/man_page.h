// The airpg(1) man page in roff (the man macros), generated from the command
// definitions (CommandSpec, read off command_line.cc) and the config keys,
// so that it lists exactly the commands and options the binary has. `airpg
// man` prints it; the `man` build target writes share/man/man1/airpg.1.
// Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "cli/command_spec.h"

namespace airpg::cli {

// Text made safe for roff: backslashes escaped, a leading '.' or '\'' kept
// from reading as a request, '-' as \- (so an option pastes as ASCII).
std::string RoffEscape(std::string_view text);

// The whole page: NAME, SYNOPSIS, DESCRIPTION, COMMANDS (a subsection per
// command path with its options), CONFIGURATION, ENVIRONMENT, EXIT STATUS, FILES.
std::string ManPage(const CommandSpec& root);

}  // namespace airpg::cli
