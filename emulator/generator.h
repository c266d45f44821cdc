// Generator: synthetic bases for load tests and benchmarks —
// `airtable-emulator generate --records N --tables T`. Each table has text,
// number, checkbox, select, multi-select, date, dateTime and long-text fields;
// table k links to table k-1 with an inverse field, so link handling is
// exercised at scale. Deterministic for a given seed. Pure; thread-safe.
#pragma once

#include <cstdint>

#include "emulator/model.h"

namespace airpg::emulator {

// A data file (docs/emulator.md) with one base of `tables` tables of
// `records` records each.
Json GenerateBase(int tables, int records, uint64_t seed);

}  // namespace airpg::emulator
