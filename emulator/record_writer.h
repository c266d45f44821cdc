// Record writes: applies a request's `fields` object to a record (PATCH merges,
// PUT replaces every writable field), resolving field names or ids, refusing
// unknown and computed fields, and keeping the inverse side of record links
// in step. Validation happens before anything changes, so a failing write
// leaves the record as it was. Called with the emulator's lock held.
#pragma once

#include "emulator/cell_writer.h"

namespace airpg::emulator {

enum class WriteMode { kMerge, kReplace };

// The record's cells after applying `fields` (a JSON object) in `mode`.
// Does not modify the record; ApplyCells stores the result.
ApiResult<Json> ComputeCells(const CellWriteContext& ctx, const Record& record, const Json& fields,
                             WriteMode mode);

// Stores `cells` in `record`, stamps its modified time and updates inverse
// link fields in linked tables.
void ApplyCells(Base& base, Table& table, Record& record, Json cells, int64_t now_millis);

// Removes `record_id` from every link cell in the base that points at it.
void UnlinkEverywhere(Base& base, const std::string& table_id, const std::string& record_id);

}  // namespace airpg::emulator
