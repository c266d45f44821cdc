// Array functions (ARRAYJOIN, ARRAYUNIQUE, ARRAYCOMPACT, ARRAYFLATTEN,
// ARRAYSLICE) and RECORD_ID. A non-array argument acts as a one-item array.
#include <cmath>
#include <set>

#include "formula/function_registry.h"

namespace airpg::formula {
namespace {

std::vector<Value> Items(const Value& v) {
  if (v.kind == ValueKind::kArray) return v.items;
  if (v.is_blank()) return {};
  return {v};
}

Value ArrayJoin(const Args& a, const EvalContext&) {
  std::string sep = a.size() > 1 ? ToText(a[1]) : ", ";
  std::vector<Value> flat;
  Flatten(a[0], flat);
  std::string out;
  bool first = true;
  for (const Value& v : flat) {
    if (v.is_blank()) continue;
    if (!first) out += sep;
    out += ToText(v);
    first = false;
  }
  return Value::Text(out);
}

Value ArrayUnique(const Args& a, const EvalContext&) {
  std::vector<Value> out;
  std::set<std::pair<int, std::string>> seen;
  for (const Value& v : Items(a[0])) {
    if (seen.insert({static_cast<int>(v.kind), DebugString(v)}).second) out.push_back(v);
  }
  return Value::Array(std::move(out));
}

Value ArrayCompact(const Args& a, const EvalContext&) {
  std::vector<Value> out;
  for (const Value& v : Items(a[0])) {
    if (v.is_blank() || (v.kind == ValueKind::kText && v.text.empty())) continue;
    out.push_back(v);
  }
  return Value::Array(std::move(out));
}

Value ArrayFlatten(const Args& a, const EvalContext&) {
  std::vector<Value> flat;
  for (const Value& v : Items(a[0])) Flatten(v, flat);
  return Value::Array(std::move(flat));
}

// 1-based start; negative counts from the end; end is inclusive when given.
Value ArraySlice(const Args& a, const EvalContext&) {
  std::vector<Value> items = Items(a[0]);
  auto n = static_cast<int64_t>(items.size());
  double s = ToNumber(a[1]);
  double e = a.size() > 2 ? ToNumber(a[2]) : static_cast<double>(n);
  if (std::isnan(s) || std::isnan(e)) return Value::Error();
  auto index = [n](double x) {
    int64_t i = static_cast<int64_t>(std::trunc(std::clamp(x, -1e12, 1e12)));
    return i < 0 ? n + i + 1 : i;
  };
  int64_t from = std::max<int64_t>(1, index(s)), to = std::min(n, index(e));
  std::vector<Value> out;
  for (int64_t i = from; i <= to; ++i) out.push_back(items[i - 1]);
  return Value::Array(std::move(out));
}

Value RecordId(const Args&, const EvalContext& ctx) { return Value::Text(ctx.record.record_id); }

}  // namespace

void RegisterArrayFunctions(std::vector<FunctionSpec>& out) {
  out.push_back({"ARRAYJOIN", 1, 2, ReturnsText, ArrayJoin});
  out.push_back({"ARRAYUNIQUE", 1, 1, ReturnsArray, ArrayUnique});
  out.push_back({"ARRAYCOMPACT", 1, 1, ReturnsArray, ArrayCompact});
  out.push_back({"ARRAYFLATTEN", 1, 1, ReturnsArray, ArrayFlatten});
  out.push_back({"ARRAYSLICE", 2, 3, ReturnsArray, ArraySlice});
  out.push_back({"RECORD_ID", 0, 0, ReturnsText, RecordId});
}

}  // namespace airpg::formula
