// FormulaFilterCompiler: filterByFormula and view filters evaluated by
// src/formula, with Airtable's semantics (API.md §7). Replaces the emulator's
// early built-in subset. Thread-safe: a compiled filter is immutable.
#pragma once

#include "emulator/record_filter.h"

namespace airpg::emulator {

// Invalid formulas and unknown field names answer 422
// INVALID_FILTER_BY_FORMULA with Airtable's messages.
FilterCompiler FormulaFilterCompiler();

}  // namespace airpg::emulator
