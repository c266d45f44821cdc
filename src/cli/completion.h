// `airpg completion bash|zsh`: shell completion scripts generated from the
// command definitions (command_spec.h). Each script walks the words typed so
// far down the command tree and offers the subcommands and options of the
// command reached, or the choices of an option that takes a fixed set of
// values. Pure.
#pragma once

#include <string>

#include "cli/command_spec.h"

namespace airpg::cli {

// A script to source in bash (`source <(airpg completion bash)`): defines
// _airpg_complete and registers it for `airpg`.
std::string BashCompletion(const CommandSpec& root);

// A script for zsh: put it on $fpath as _airpg, or source it after compinit.
std::string ZshCompletion(const CommandSpec& root);

}  // namespace airpg::cli
