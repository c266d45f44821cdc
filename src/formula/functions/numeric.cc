// Numeric functions: rounding, arithmetic and the aggregates over argument
// lists (arrays are flattened; blanks and text are skipped by SUM, MIN, MAX,
// AVERAGE and COUNT).
#include <cmath>
#include <limits>

#include "formula/function_registry.h"

namespace airpg::formula {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Num(const Args& a, size_t i, double fallback = 0) {
  return i < a.size() ? ToNumber(a[i]) : fallback;
}

double Power10(double p) { return std::pow(10.0, std::trunc(p)); }

Value Abs(const Args& a, const EvalContext&) { return Value::Number(std::fabs(Num(a, 0))); }

Value Round(const Args& a, const EvalContext&) {
  double f = Power10(Num(a, 1));
  return Value::Number(std::floor(Num(a, 0) * f + 0.5) / f);
}
Value RoundUp(const Args& a, const EvalContext&) {
  double v = Num(a, 0), f = Power10(Num(a, 1));
  return Value::Number(std::copysign(std::ceil(std::fabs(v) * f) / f, v));
}
Value RoundDown(const Args& a, const EvalContext&) {
  double v = Num(a, 0), f = Power10(Num(a, 1));
  return Value::Number(std::copysign(std::floor(std::fabs(v) * f) / f, v));
}
Value Ceiling(const Args& a, const EvalContext&) {
  double sig = Num(a, 1, 1);
  if (sig == 0) return Value::Number(0);
  return Value::Number(std::ceil(Num(a, 0) / sig) * sig);
}
Value Floor(const Args& a, const EvalContext&) {
  double sig = Num(a, 1, 1);
  if (sig == 0) return Value::Number(0);
  return Value::Number(std::floor(Num(a, 0) / sig) * sig);
}
Value Int(const Args& a, const EvalContext&) { return Value::Number(std::floor(Num(a, 0))); }
Value Mod(const Args& a, const EvalContext&) {
  return Value::Number(std::fmod(Num(a, 0), Num(a, 1)));
}
Value Power(const Args& a, const EvalContext&) {
  return Value::Number(std::pow(Num(a, 0), Num(a, 1)));
}
Value Sqrt(const Args& a, const EvalContext&) {
  double v = Num(a, 0);
  return Value::Number(v < 0 ? kNaN : std::sqrt(v));
}
Value Exp(const Args& a, const EvalContext&) { return Value::Number(std::exp(Num(a, 0))); }
Value Log(const Args& a, const EvalContext&) {
  double v = Num(a, 0), base = Num(a, 1, 10);
  auto ln = [](double x) { return x < 0 ? kNaN : std::log(x); };
  return Value::Number(ln(v) / ln(base));
}
Value Even(const Args& a, const EvalContext&) {
  double v = Num(a, 0);
  return Value::Number(std::copysign(std::ceil(std::fabs(v) / 2) * 2, v));
}
Value Odd(const Args& a, const EvalContext&) {
  double v = Num(a, 0);
  double up = std::ceil((std::fabs(v) + 1) / 2) * 2 - 1;
  return Value::Number(v < 0 ? -up : up);
}

// The numbers among the (flattened) arguments.
std::vector<double> Numbers(const Args& a) {
  std::vector<Value> flat;
  for (const Value& v : a) Flatten(v, flat);
  std::vector<double> out;
  for (const Value& v : flat) {
    if (v.kind == ValueKind::kNumber) out.push_back(v.number);
    if (v.kind == ValueKind::kBool) out.push_back(v.boolean ? 1 : 0);
  }
  return out;
}

Value Sum(const Args& a, const EvalContext&) {
  double total = 0;
  for (double n : Numbers(a)) total += n;
  return Value::Number(total);
}
Value Max(const Args& a, const EvalContext&) {
  auto ns = Numbers(a);
  if (ns.empty()) return Value::Number(0);
  double m = ns[0];
  for (double n : ns) m = (std::isnan(n) || n > m) ? n : m;
  return Value::Number(m);
}
Value Min(const Args& a, const EvalContext&) {
  auto ns = Numbers(a);
  if (ns.empty()) return Value::Number(0);
  double m = ns[0];
  for (double n : ns) m = (std::isnan(n) || n < m) ? n : m;
  return Value::Number(m);
}
Value Average(const Args& a, const EvalContext&) {
  auto ns = Numbers(a);
  if (ns.empty()) return Value::Blank();
  double total = 0;
  for (double n : ns) total += n;
  return Value::Number(total / static_cast<double>(ns.size()));
}
Value CountFn(const Args& a, const EvalContext&) {
  return Value::Number(static_cast<double>(Numbers(a).size()));
}
Value CountA(const Args& a, const EvalContext&) {
  std::vector<Value> flat;
  for (const Value& v : a) Flatten(v, flat);
  double n = 0;
  for (const Value& v : flat) {
    if (!v.is_blank() && !(v.kind == ValueKind::kText && v.text.empty())) ++n;
  }
  return Value::Number(n);
}
Value CountAll(const Args& a, const EvalContext&) {
  std::vector<Value> flat;
  for (const Value& v : a) Flatten(v, flat);
  return Value::Number(static_cast<double>(flat.size()));
}

}  // namespace

void RegisterNumericFunctions(std::vector<FunctionSpec>& out) {
  out.push_back({"ABS", 1, 1, ReturnsNumber, Abs});
  out.push_back({"ROUND", 1, 2, ReturnsNumber, Round});
  out.push_back({"ROUNDUP", 1, 2, ReturnsNumber, RoundUp});
  out.push_back({"ROUNDDOWN", 1, 2, ReturnsNumber, RoundDown});
  out.push_back({"CEILING", 1, 2, ReturnsNumber, Ceiling});
  out.push_back({"FLOOR", 1, 2, ReturnsNumber, Floor});
  out.push_back({"INT", 1, 1, ReturnsNumber, Int});
  out.push_back({"MOD", 2, 2, ReturnsNumber, Mod});
  out.push_back({"POWER", 2, 2, ReturnsNumber, Power});
  out.push_back({"SQRT", 1, 1, ReturnsNumber, Sqrt});
  out.push_back({"EXP", 1, 1, ReturnsNumber, Exp});
  out.push_back({"LOG", 1, 2, ReturnsNumber, Log});
  out.push_back({"EVEN", 1, 1, ReturnsNumber, Even});
  out.push_back({"ODD", 1, 1, ReturnsNumber, Odd});
  out.push_back({"SUM", 1, -1, ReturnsNumber, Sum});
  out.push_back({"MAX", 1, -1, ReturnsNumber, Max});
  out.push_back({"MIN", 1, -1, ReturnsNumber, Min});
  out.push_back({"AVERAGE", 1, -1, ReturnsNumber, Average});
  out.push_back({"COUNT", 1, -1, ReturnsNumber, CountFn});
  out.push_back({"COUNTA", 1, -1, ReturnsNumber, CountA});
  out.push_back({"COUNTALL", 1, -1, ReturnsNumber, CountAll});
}

}  // namespace airpg::formula
