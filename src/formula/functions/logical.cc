// Logical functions: IF, SWITCH, AND, OR, XOR, NOT, TRUE, FALSE, BLANK,
// ERROR, ISERROR. Arrays given to AND/OR/XOR count item by item.
#include "formula/function_registry.h"
#include "formula/operators.h"

namespace airpg::formula {
namespace {

Type IfType(const std::vector<Type>& args) {
  Type then_type = args.size() > 1 ? args[1] : Type::kBlank;
  Type else_type = args.size() > 2 ? args[2] : Type::kBlank;
  if (then_type == else_type || else_type == Type::kBlank) return then_type;
  if (then_type == Type::kBlank) return else_type;
  return Type::kAny;
}

Type SwitchType(const std::vector<Type>& args) {
  Type result = Type::kBlank;
  auto merge = [&](Type t) {
    if (result == Type::kBlank) {
      result = t;
    } else if (t != result && t != Type::kBlank) {
      result = Type::kAny;
    }
  };
  for (size_t i = 2; i < args.size(); i += 2) merge(args[i]);
  if (args.size() % 2 == 0) merge(args.back());
  return result;
}

Value If(const Args& a, const EvalContext&) {
  if (a[0].is_error()) return a[0];
  if (Truthy(a[0])) return a[1];
  return a.size() > 2 ? a[2] : Value::Blank();
}

Value Switch(const Args& a, const EvalContext&) {
  if (a[0].is_error()) return a[0];
  // (expr, p1, r1, …, pn, rn[, default]): pairs end before a trailing default.
  size_t pairs_end = a.size() % 2 == 0 ? a.size() - 1 : a.size();
  for (size_t i = 1; i + 1 < pairs_end; i += 2) {
    if (a[i].is_error()) return a[i];
    Value eq = ApplyBinary(BinaryOp::kEq, a[0], a[i]);
    if (eq.boolean) return a[i + 1];
  }
  return a.size() % 2 == 0 ? a.back() : Value::Blank();
}

std::vector<bool> Truths(const Args& a) {
  std::vector<bool> out;
  for (const Value& v : a) {
    if (v.kind == ValueKind::kArray) {
      std::vector<Value> flat;
      Flatten(v, flat);
      for (const Value& item : flat) out.push_back(Truthy(item));
    } else {
      out.push_back(Truthy(v));
    }
  }
  return out;
}

Value And(const Args& a, const EvalContext&) {
  for (bool t : Truths(a)) {
    if (!t) return Value::Bool(false);
  }
  return Value::Bool(true);
}
Value Or(const Args& a, const EvalContext&) {
  for (bool t : Truths(a)) {
    if (t) return Value::Bool(true);
  }
  return Value::Bool(false);
}
Value Xor(const Args& a, const EvalContext&) {
  bool odd = false;
  for (bool t : Truths(a)) odd ^= t;
  return Value::Bool(odd);
}
Value Not(const Args& a, const EvalContext&) { return Value::Bool(!Truthy(a[0])); }
Value True(const Args&, const EvalContext&) { return Value::Bool(true); }
Value False(const Args&, const EvalContext&) { return Value::Bool(false); }
Value Blank(const Args&, const EvalContext&) { return Value::Blank(); }
Value Error(const Args&, const EvalContext&) { return Value::Error(); }
Value IsError(const Args& a, const EvalContext&) {
  const Value& v = a[0];
  return Value::Bool(v.is_error());
}

Type BlankType(const std::vector<Type>&) { return Type::kBlank; }

}  // namespace

void RegisterLogicalFunctions(std::vector<FunctionSpec>& out) {
  out.push_back({"IF", 2, 3, IfType, If, true});
  out.push_back({"SWITCH", 2, -1, SwitchType, Switch, true});
  out.push_back({"AND", 1, -1, ReturnsBool, And});
  out.push_back({"OR", 1, -1, ReturnsBool, Or});
  out.push_back({"XOR", 1, -1, ReturnsBool, Xor});
  out.push_back({"NOT", 1, 1, ReturnsBool, Not});
  out.push_back({"TRUE", 0, 0, ReturnsBool, True});
  out.push_back({"FALSE", 0, 0, ReturnsBool, False});
  out.push_back({"BLANK", 0, 0, BlankType, Blank});
  out.push_back({"ERROR", 0, 1, ReturnsAny, Error});
  out.push_back({"ISERROR", 1, 1, ReturnsBool, IsError, true});
}

}  // namespace airpg::formula
