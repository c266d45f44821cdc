#include "base/log.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>

#include <fmt/chrono.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "base/json_escape.h"
#include "base/redact.h"

namespace airpg::log {
namespace {

// Writes {"ts":"…","level":"…","msg":"…"} lines to stderr.
class JsonLinesSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string line =
        fmt::format("{{\"ts\":\"{:%Y-%m-%dT%H:%M:%S}Z\",\"level\":\"{}\",\"msg\":\"{}\"}}\n",
                    fmt::gmtime(std::chrono::system_clock::to_time_t(msg.time)),
                    spdlog::level::to_string_view(msg.level),
                    JsonEscape(std::string_view(msg.payload.data(), msg.payload.size())));
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

spdlog::level::level_enum ToSpd(Level level) {
  switch (level) {
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
    case Level::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::shared_ptr<spdlog::logger> MakeLogger(const Options& options) {
  spdlog::sink_ptr sink;
  if (options.format == Format::kJson) {
    sink = std::make_shared<JsonLinesSink>();
  } else {
    auto color = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(
        options.format == Format::kAuto && isatty(STDERR_FILENO) ? spdlog::color_mode::automatic
                                                                 : spdlog::color_mode::never);
    color->set_pattern("%Y-%m-%d %H:%M:%S %^%-5l%$ %v");
    sink = color;
  }
  // Shared with spdlog's registry only through this module; no one else holds it.
  auto logger = std::make_shared<spdlog::logger>("airpg", sink);
  logger->set_level(ToSpd(options.level));
  logger->flush_on(spdlog::level::warn);
  return logger;
}

std::mutex& LoggerMutex() {
  static std::mutex mu;
  return mu;
}

// Guarded by LoggerMutex() for replacement; spdlog loggers are thread-safe to use.
std::shared_ptr<spdlog::logger>& Logger() {
  static std::shared_ptr<spdlog::logger> logger = MakeLogger(Options{});
  return logger;
}

}  // namespace

Status ParseLevel(std::string_view text, Level* level) {
  if (text == "debug")
    *level = Level::kDebug;
  else if (text == "info")
    *level = Level::kInfo;
  else if (text == "warn" || text == "warning")
    *level = Level::kWarn;
  else if (text == "error")
    *level = Level::kError;
  else if (text == "off")
    *level = Level::kOff;
  else
    return InvalidArgumentError(
        fmt::format("log level '{}' is not one of debug, info, warn, error, off", text));
  return Status::Ok();
}

Status ParseFormat(std::string_view text, Format* format) {
  if (text == "auto")
    *format = Format::kAuto;
  else if (text == "text")
    *format = Format::kText;
  else if (text == "json")
    *format = Format::kJson;
  else
    return InvalidArgumentError(
        fmt::format("log format '{}' is not one of auto, text, json", text));
  return Status::Ok();
}

void Init(const Options& options) {
  auto logger = MakeLogger(options);
  std::lock_guard<std::mutex> lock(LoggerMutex());
  Logger() = std::move(logger);
}

void Write(Level level, std::string_view message) {
  std::shared_ptr<spdlog::logger> logger;
  {
    std::lock_guard<std::mutex> lock(LoggerMutex());
    logger = Logger();
  }
  spdlog::level::level_enum spd = ToSpd(level);
  if (!logger->should_log(spd)) return;
  logger->log(spd, "{}", Redact(message));
}

}  // namespace airpg::log
