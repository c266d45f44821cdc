// Operator semantics over run-time values.
#include "formula/operators.h"

#include <cmath>
#include <limits>
#include <optional>

#include "formula/civil_time.h"
#include "formula/date_text.h"

namespace airpg::formula {
namespace {

std::optional<int64_t> AsMillis(const Value& v) {
  if (v.kind == ValueKind::kDate) return v.millis;
  if (v.kind == ValueKind::kText) return ParseDateText(v.text);
  return std::nullopt;
}

// -1, 0, 1, or nullopt when unordered (NaN, unparseable date).
std::optional<int> Compare(const Value& a, const Value& b, bool equality) {
  if (a.is_blank() && b.is_blank()) return 0;
  if (a.kind == ValueKind::kDate || b.kind == ValueKind::kDate) {
    auto x = AsMillis(a), y = AsMillis(b);
    if (!x || !y) return std::nullopt;
    return *x < *y ? -1 : *x > *y ? 1 : 0;
  }
  bool a_text = a.kind == ValueKind::kText || a.kind == ValueKind::kArray;
  bool b_text = b.kind == ValueKind::kText || b.kind == ValueKind::kArray;
  if ((a_text && (b_text || b.is_blank() || equality)) || (b_text && (a.is_blank() || equality))) {
    // Code point order: byte order of UTF-8.
    int c = ToText(a).compare(ToText(b));
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  double x = ToNumber(a), y = ToNumber(b);
  if (std::isnan(x) || std::isnan(y)) return std::nullopt;
  return x < y ? -1 : x > y ? 1 : 0;
}

}  // namespace

Value ApplyBinary(BinaryOp op, const Value& lhs, const Value& rhs) {
  if (lhs.is_error()) return lhs;
  if (rhs.is_error()) return rhs;
  switch (op) {
    case BinaryOp::kConcat:
      return Value::Text(ToText(lhs) + ToText(rhs));
    case BinaryOp::kAdd:
      if (lhs.kind == ValueKind::kDate && rhs.kind != ValueKind::kDate) {
        return Value::Error();
      }
      return Value::Number(ToNumber(lhs) + ToNumber(rhs));
    case BinaryOp::kSub:
      return Value::Number(ToNumber(lhs) - ToNumber(rhs));
    case BinaryOp::kMul:
      return Value::Number(ToNumber(lhs) * ToNumber(rhs));
    case BinaryOp::kDiv: {
      // Airtable's docs: dividing by zero is an error (ISERROR(1/0) is TRUE),
      // not JavaScript's Infinity/NaN; blank and "" divide as 0.
      double divisor = ToNumber(rhs);
      if (divisor == 0) return Value::Error();
      return Value::Number(ToNumber(lhs) / divisor);
    }
    case BinaryOp::kEq: {
      auto c = Compare(lhs, rhs, true);
      return Value::Bool(c && *c == 0);
    }
    case BinaryOp::kNe: {
      auto c = Compare(lhs, rhs, true);
      return Value::Bool(!c || *c != 0);
    }
    case BinaryOp::kLt: {
      auto c = Compare(lhs, rhs, false);
      return Value::Bool(c && *c < 0);
    }
    case BinaryOp::kLe: {
      auto c = Compare(lhs, rhs, false);
      return Value::Bool(c && *c <= 0);
    }
    case BinaryOp::kGt: {
      auto c = Compare(lhs, rhs, false);
      return Value::Bool(c && *c > 0);
    }
    case BinaryOp::kGe: {
      auto c = Compare(lhs, rhs, false);
      return Value::Bool(c && *c >= 0);
    }
  }
  return Value::Error();
}

Value Negate(const Value& v) {
  if (v.is_error()) return v;
  return Value::Number(-ToNumber(v));
}

}  // namespace airpg::formula
