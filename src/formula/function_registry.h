// FunctionRegistry: the table of formula functions — name, argument counts,
// result type and evaluator — filled by functions/{logical,text,numeric,date,
// array}.cc. Read by the evaluator and the type checker.
// Thread-safe: the table is built once and never changes.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "formula/ast.h"
#include "formula/evaluator.h"
#include "formula/types.h"
#include "formula/value.h"

namespace airpg::formula {

using Args = std::vector<Value>;

struct FunctionSpec {
  std::string_view name;
  int min_args = 0;
  int max_args = 0;  // -1: any number
  // Result type from the argument types (see the helpers below).
  Type (*result_type)(const std::vector<Type>& args) = nullptr;
  Value (*eval)(const Args& args, const EvalContext& context) = nullptr;
  // When false the evaluator returns the first error argument without calling
  // eval. IF, SWITCH and ISERROR see errors themselves.
  bool sees_errors = false;
};

// The function named `upper_name`, or nullptr.
const FunctionSpec* FindFunction(std::string_view upper_name);

// The function a call node names, with its argument count checked:
// kInvalidArgument "at position N: unknown function X" or "… X takes 2
// arguments, got 3". REQUIRES: node.kind == NodeKind::kCall.
Result<const FunctionSpec*> ResolveCall(const Node& node);
const std::vector<FunctionSpec>& AllFunctions();

void RegisterLogicalFunctions(std::vector<FunctionSpec>& out);
void RegisterTextFunctions(std::vector<FunctionSpec>& out);
void RegisterNumericFunctions(std::vector<FunctionSpec>& out);
void RegisterDateFunctions(std::vector<FunctionSpec>& out);
void RegisterArrayFunctions(std::vector<FunctionSpec>& out);

// Result-type helpers for FunctionSpec::result_type.
inline Type ReturnsNumber(const std::vector<Type>&) { return Type::kNumber; }
inline Type ReturnsText(const std::vector<Type>&) { return Type::kText; }
inline Type ReturnsBool(const std::vector<Type>&) { return Type::kBool; }
inline Type ReturnsDate(const std::vector<Type>&) { return Type::kDate; }
inline Type ReturnsArray(const std::vector<Type>&) { return Type::kArray; }
inline Type ReturnsAny(const std::vector<Type>&) { return Type::kAny; }

// Shared argument coercions.
// The date an argument denotes: a date, or text in ISO 8601; else nullopt.
std::optional<int64_t> ArgMillis(const Value& v);
// Flattens nested arrays into one list of scalar values.
void Flatten(const Value& v, std::vector<Value>& out);

}  // namespace airpg::formula
