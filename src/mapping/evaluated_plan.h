// EvaluatedPlan: the formula fields S.<table>_computed cannot compute (the
// SQL compiler refuses them — MOD, REGEX_EXTRACT, a formula over a field
// whose cells may be error values, … — or folds their clock into a
// constant) that airpg computes itself, with src/formula's evaluator, each
// time Postgres writes a row of a table it may write
// (sync/evaluated_fields.h). A field qualifies when its formula parses and
// every field it reads is carried by the row (mapping/formula_row.h): a
// plain column, a field computed in the row's S.<table>_computed view, or
// another evaluated formula. The rest keep their reason (computed_view.h).
// Pure; plans are immutable values.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "formula/ast.h"
#include "mapping/cell_value.h"
#include "mapping/computed_view.h"
#include "mapping/schema_plan.h"

namespace airpg::mapping {

struct EvaluatedFormula {
  const FieldPlan* field = nullptr;
  std::shared_ptr<const formula::Node> root;  // shared by copies of the plan
  std::string reason;                         // why it is not computed in SQL
};

struct EvaluatedTable {
  const TablePlan* table = nullptr;
  // In dependency order: a formula comes after the evaluated ones it reads.
  std::vector<EvaluatedFormula> formulas;
};

struct EvaluatedPlan {
  std::vector<EvaluatedTable> tables;  // tables with at least one, in plan order

  const EvaluatedTable* Find(std::string_view table_id) const;
};

// REQUIRES: `computed` is PlanComputed(plan, …); `plan` outlives the result.
EvaluatedPlan PlanEvaluated(const SchemaPlan& plan, const ComputedPlan& computed);

// `airpg schema plan`'s lines for the fields Postgres does not compute in
// SQL: "T.F (fld…, type): computed by airpg on write: <reason>" for the
// evaluated ones, "…: stays Airtable-computed: <reason>" for the rest.
std::vector<std::string> NotComputedInSqlLines(const ComputedPlan& computed,
                                               const EvaluatedPlan& evaluated);

// One evaluated formula's result for a row, as its column's value (an
// error value: NULL with cell_error set). `problem` says why a result no
// column can hold was stored as NULL (logged by the caller).
struct EvaluatedValue {
  const EvaluatedFormula& formula;
  PgValue value;
  std::string problem;
};

// Evaluates the table's formulas, in order, over one row (FormulaRowSql's
// JSON of the row read from S.<table>_computed); each result is what the
// later formulas read. NOW() and TODAY() read `now_millis`.
Result<std::vector<EvaluatedValue>> EvaluateRow(const EvaluatedTable& table,
                                                std::string_view row_json, int64_t now_millis);

// Whether `field_id` is one of the plan's evaluated formulas.
bool IsEvaluated(const EvaluatedPlan& evaluated, std::string_view field_id);

}  // namespace airpg::mapping
