// ComputedDivision: a formula that divides by a field, in the computed view
// (computed_view.h). Dividing by zero (or blank) is #ERROR! in Airtable, a
// value no column holds, so src/formula's compiler refuses every division
// by anything but a non-zero literal. This compiles such a formula anyway,
// as two expressions: its value, with each division by zero made NULL, and
// the condition under which the cell is #ERROR! (a division by zero that
// the evaluator would reach: an IF's untaken branch does not count). The
// view puts NULL in the column and {"error": "#ERROR!"} in
// airpg_cell_errors when it holds, as the fidelity work records errors.
// Pure.
#pragma once

#include <functional>
#include <string>

#include "base/result.h"
#include "formula/ast.h"
#include "formula/sql_compiler.h"

namespace airpg::mapping {

struct GuardedFormula {
  std::string value;  // NULL when `error` holds
  std::string error;  // a boolean, never NULL
  formula::Type type = formula::Type::kAny;
};

// Turns a compiled expression into plain SQL (the view's literals inlined).
using InlineSql = std::function<std::string(const formula::CompiledSql&)>;

// `root` (rewritten in place: each division by a non-literal becomes a
// stand-in field) compiled as above, its fields resolved by `resolve`.
// kUnimplemented when a division's operand is not a number, or a division
// sits where an error would be caught (ISERROR, SWITCH).
Result<GuardedFormula> CompileGuardedDivisions(formula::Node& root,
                                               const formula::ColumnResolver& resolve,
                                               const formula::SqlOptions& options,
                                               const InlineSql& inline_sql);

}  // namespace airpg::mapping
