// Operators: the value semantics of + - * / & and the comparisons, shared by
// the evaluator and by functions that compare (SWITCH, IS_SAME).
// Pure and thread-safe.
#pragma once

#include "formula/ast.h"
#include "formula/value.h"

namespace airpg::formula {

// Applies a binary operator. Errors propagate; see docs/formula.md for the
// coercion rules (blank → 0 or "", text vs number compares as text for = and
// !=, as numbers for < <= > >=; dates compare chronologically).
Value ApplyBinary(BinaryOp op, const Value& lhs, const Value& rhs);

// Unary minus.
Value Negate(const Value& v);

}  // namespace airpg::formula
