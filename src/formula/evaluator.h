// Evaluator: runs a parsed formula over one record with Airtable's semantics
// (blanks, coercions, error values, dates in UTC unless SET_TIMEZONE). Used by
// the emulator's filterByFormula and as the oracle for the SQL compiler.
// Thread-safe: evaluation reads its inputs and keeps no state.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "formula/ast.h"
#include "formula/record.h"
#include "formula/time_zone.h"
#include "formula/types.h"
#include "formula/value.h"

namespace airpg::formula {

struct EvalOptions {
  int64_t now_millis = 0;  // NOW(), TODAY(), TONOW(), FROMNOW(): the caller's clock
  TimeZoneLookup zones;    // SET_TIMEZONE; UTC and ±HH:MM offsets work without it
};

// Everything a function implementation may read.
struct EvalContext {
  const Schema& schema;
  const Record& record;
  const EvalOptions& options;
};

// Evaluates `root`. Run-time failures (division by zero, bad dates, ERROR())
// are values (#ERROR!, NaN, Infinity); the Status is kInvalidArgument only for
// what the type checker also rejects: unknown fields or functions, wrong
// argument counts.
Result<Value> Evaluate(const Node& root, const Schema& schema, const Record& record,
                       const EvalOptions& options);

// filterByFormula: whether the record passes (the result is truthy; error
// values and blanks do not pass).
Result<bool> EvaluateFilter(const Node& root, const Schema& schema, const Record& record,
                            const EvalOptions& options);

// Parses and evaluates in one step.
Result<Value> EvaluateFormula(std::string_view formula, const Schema& schema, const Record& record,
                              const EvalOptions& options);

}  // namespace airpg::formula
