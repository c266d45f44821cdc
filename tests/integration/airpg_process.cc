#include "airpg_process.h"

#include <unistd.h>

#include <sstream>

#include <gtest/gtest.h>

namespace airpg::testing {
namespace fs = std::filesystem;

AirpgProcess::AirpgProcess() {
  std::string pattern = (fs::temp_directory_path() / "airpg-cli-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  home_ = pattern;
  env_["AIRPG_HOME"] = home_.string();
  // Tests decide about these themselves; none leaks in from the caller.
  for (const char* name :
       {"DATABASE_URL", "AIRTABLE_TOKEN", "AIRPG_CONFIG", "AIRPG_LOG_LEVEL", "AIRPG_LOG_FORMAT",
        "AIRTABLE_ENDPOINT_URL", "AIRPG_EMBEDDED_TCP_PORT"}) {
    env_[name] = std::nullopt;
  }
  // `airpg sync` listens on a stable default port (8719); tests run side by
  // side, so each sync takes a free port unless its test chooses one.
  env_["AIRPG_SYNC_PORT"] = "0";
}

AirpgProcess::~AirpgProcess() {
  env_["DATABASE_URL"] = std::nullopt;
  Run({"db", "stop"});
  std::error_code ec;
  fs::remove_all(home_, ec);
}

ProcessOutput AirpgProcess::Run(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {AIRPG_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options;
  options.env = env_;
  options.timeout = std::chrono::seconds(120);
  Result<ProcessOutput> out = RunProcess(argv, options);
  if (!out.ok()) {
    ADD_FAILURE() << "running airpg: " << out.status().ToString();
    return ProcessOutput{};
  }
  return *out;
}

std::unique_ptr<ChildProcess> AirpgProcess::Start(const std::vector<std::string>& args,
                                                  const std::string& label) {
  std::vector<std::string> argv = {AIRPG_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = ChildProcess::Start(argv, env_, home_ / label);
  if (!child.ok()) {
    ADD_FAILURE() << "starting airpg: " << child.status().ToString();
    return nullptr;
  }
  return std::move(child).value();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace airpg::testing
