// The function table, assembled once from the per-family registrations.
#include "formula/function_registry.h"

#include <fmt/core.h>

#include "formula/civil_time.h"
#include "formula/date_text.h"

namespace airpg::formula {

Result<const FunctionSpec*> ResolveCall(const Node& node) {
  const FunctionSpec* spec = FindFunction(node.text);
  if (!spec) {
    return InvalidArgumentError(
        fmt::format("at position {}: unknown function {}", node.position, node.text));
  }
  int n = static_cast<int>(node.args.size());
  if (n < spec->min_args || (spec->max_args >= 0 && n > spec->max_args)) {
    std::string wanted = spec->max_args < 0 ? fmt::format("at least {}", spec->min_args)
                         : spec->min_args == spec->max_args
                             ? fmt::format("{}", spec->min_args)
                             : fmt::format("{} to {}", spec->min_args, spec->max_args);
    return InvalidArgumentError(fmt::format("at position {}: {} takes {} arguments, got {}",
                                            node.position, node.text, wanted, n));
  }
  return spec;
}

const std::vector<FunctionSpec>& AllFunctions() {
  static const std::vector<FunctionSpec> table = [] {
    std::vector<FunctionSpec> out;
    RegisterLogicalFunctions(out);
    RegisterTextFunctions(out);
    RegisterNumericFunctions(out);
    RegisterDateFunctions(out);
    RegisterArrayFunctions(out);
    return out;
  }();
  return table;
}

const FunctionSpec* FindFunction(std::string_view upper_name) {
  for (const FunctionSpec& spec : AllFunctions()) {
    if (spec.name == upper_name) return &spec;
  }
  return nullptr;
}

std::optional<int64_t> ArgMillis(const Value& v) {
  if (v.kind == ValueKind::kDate) return v.millis;
  if (v.kind == ValueKind::kText) return ParseDateText(v.text);
  if (v.kind == ValueKind::kArray && v.items.size() == 1) return ArgMillis(v.items[0]);
  return std::nullopt;
}

void Flatten(const Value& v, std::vector<Value>& out) {
  if (v.kind != ValueKind::kArray) {
    out.push_back(v);
    return;
  }
  for (const Value& item : v.items) Flatten(item, out);
}

}  // namespace airpg::formula
