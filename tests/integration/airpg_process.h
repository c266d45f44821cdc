// Runs the built airpg binary as a user would, with a chosen environment and
// a private AIRPG_HOME, for the CLI integration tests. Single-thread.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/subprocess.h"
#include "child_process.h"

namespace airpg::testing {

class AirpgProcess {
 public:
  // A fresh AIRPG_HOME in /tmp, removed (embedded cluster stopped) on destruction.
  AirpgProcess();
  ~AirpgProcess();

  const std::filesystem::path& home() const { return home_; }

  // Variables for every run; nullopt removes one inherited from the test's environment.
  void SetEnv(const std::string& name, std::optional<std::string> value) { env_[name] = value; }

  // Runs `airpg args…` and returns its exit code and output. A run that cannot
  // start or takes over 120 s fails the calling test.
  ProcessOutput Run(const std::vector<std::string>& args);

  // Starts `airpg args…` in the background (for tests that signal or kill
  // it); its output goes to files in home() named after `label`. A child
  // that cannot start fails the calling test and returns null.
  std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& args,
                                      const std::string& label);

 private:
  std::filesystem::path home_;
  std::map<std::string, std::optional<std::string>> env_;
};

// Splits text into its non-empty lines.
std::vector<std::string> Lines(const std::string& text);

}  // namespace airpg::testing
