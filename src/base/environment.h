// Environment: the narrow interface through which code reads environment
// variables, so tests can pass their own instead of mutating the process's.
// ProcessEnvironment is thread-safe as long as nothing calls setenv();
// MapEnvironment is thread-compatible.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace airpg {

class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value; nullopt when unset. An empty value counts as set.
  virtual std::optional<std::string> Get(std::string_view name) const = 0;
};

// Reads the real process environment.
class ProcessEnvironment final : public Environment {
 public:
  std::optional<std::string> Get(std::string_view name) const override;
};

// A fixed set of variables, for tests.
class MapEnvironment final : public Environment {
 public:
  MapEnvironment() = default;
  MapEnvironment(std::initializer_list<std::pair<const std::string, std::string>> vars)
      : vars_(vars) {}
  void Set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }
  std::optional<std::string> Get(std::string_view name) const override;

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

}  // namespace airpg
