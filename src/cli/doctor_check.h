// One line of `airpg doctor`: what was checked, how it went, and the one
// thing to do about it. Plain value.
#pragma once

#include <string>
#include <string_view>

namespace airpg::cli {

enum class Outcome { kOk, kWarn, kFail };

struct Check {
  std::string name;
  Outcome outcome;
  std::string message;
  std::string fix;  // empty when nothing to do
};

}  // namespace airpg::cli
