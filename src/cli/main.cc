// airpg's entry point: everything happens in cli::Run; main only turns an
// exception that escaped (broken wiring, out of memory) into one clear line.
#include <exception>
#include <string>

#include "cli/command_line.h"
#include "cli/error_line.h"
#include "cli/exit_code.h"

int main(int argc, char** argv) {
  try {
    return airpg::cli::Run(argc, argv);
  } catch (const std::exception& e) {
    // Redacted, and a JSON object under --log-format json, like every error line.
    airpg::cli::PrintErrorLine(std::string("internal error: ") + e.what());
    return airpg::cli::kExitFailed;
  }
}
