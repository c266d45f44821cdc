#include "cli/command_spec.h"

#include <algorithm>

#include <fmt/core.h>

namespace airpg::cli {

std::string CommandList(const CommandSpec& command) {
  size_t width = 0;
  for (const CommandSpec& sub : command.subcommands) width = std::max(width, sub.name.size());
  std::string out;
  for (const CommandSpec& sub : command.subcommands) {
    out += fmt::format("  {:<{}}  {}\n", sub.name, width, sub.help);
  }
  return out;
}

}  // namespace airpg::cli
