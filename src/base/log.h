// Logging: the process-wide log, written to stderr. spdlog stays inside
// log.cc; callers format with fmt. Every line passes through Redact(), so a
// token or password that slips into a message never reaches the log.
// Thread-safe after Init(); Init() itself runs once, early in main().
#pragma once

#include <string>
#include <string_view>

#include <fmt/core.h>

#include "base/status.h"

namespace airpg::log {

enum class Level { kDebug, kInfo, kWarn, kError, kOff };
enum class Format {
  kAuto,  // human lines (coloured on a TTY)
  kText,  // human lines
  kJson,  // one JSON object per line: {"ts","level","msg"}
};

struct Options {
  Level level = Level::kInfo;
  Format format = Format::kAuto;
};

// Parses "debug|info|warn|error|off" and "auto|text|json".
Status ParseLevel(std::string_view text, Level* level);
Status ParseFormat(std::string_view text, Format* format);

// Replaces the process log. Safe to call again (tests, reconfiguration).
void Init(const Options& options);

void Write(Level level, std::string_view message);

template <typename... Args>
void Debug(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Info(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Warn(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Error(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace airpg::log
