// TypeChecker: infers a formula's result type from the table's field types
// and reports what the evaluator would reject or can only answer with an
// error: unknown fields and functions, wrong argument counts, numbers or
// booleans where a date is required, unknown literal units, `date + n`.
// Used before saving a formula and by `airpg formula check`. Thread-safe.
#pragma once

#include "base/result.h"
#include "formula/ast.h"
#include "formula/types.h"

namespace airpg::formula {

// The result type (kAny when only known at run time), or kInvalidArgument
// "at position N: …" for the first problem found.
Result<Type> CheckTypes(const Node& root, const Schema& schema);

}  // namespace airpg::formula
