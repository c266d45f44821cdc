// The shape of airpg's command line (commands, their options and the values
// an option takes), read off the CLI11 definitions in command_line.cc, so
// that the command lists of usage errors and the shell completion scripts
// are generated from the one place commands are declared, never kept by
// hand. Plain values.
#pragma once

#include <string>
#include <vector>

namespace airpg::cli {

struct OptionSpec {
  std::vector<std::string> names;  // "--output", "-h"
  std::string help;
  bool takes_value = false;          // false: a flag
  std::vector<std::string> choices;  // the values it accepts, when they are a fixed set
};

struct CommandSpec {
  std::string name;  // "" for airpg itself
  std::string help;
  std::vector<OptionSpec> options;
  std::vector<std::string> arguments;  // the values its arguments accept, when a fixed set
  std::vector<CommandSpec> subcommands;
};

// "  name   help" lines, one per subcommand of `command`, names padded to one width.
std::string CommandList(const CommandSpec& command);

}  // namespace airpg::cli
