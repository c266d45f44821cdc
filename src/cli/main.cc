// airpg's entry point: everything happens in cli::Run; main only turns an
// exception that escaped (broken wiring, out of memory) into one clear line.
#include <exception>
#include <iostream>

#include "base/redact.h"
#include "cli/command_line.h"
#include "cli/exit_code.h"

int main(int argc, char** argv) {
  try {
    return airpg::cli::Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "airpg: internal error: " << airpg::Redact(e.what()) << "\n";
    return airpg::cli::kExitFailed;
  }
}
