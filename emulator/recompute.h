// Recompute: keeps formula, rollup, lookup and count cells current after a
// write, as Airtable does, so the emulator is the oracle airpg's SQL-computed
// fields are compared against (issue 18). A written record is recomputed,
// then every record linked to one whose cells changed, transitively (a
// formula over a lookup over a rollup in another table). Formulas and rollup
// aggregations are evaluated by src/formula; a rollup's aggregation is the
// emulator extension `options.formula` ("SUM(values)"), since Airtable's
// meta API does not expose it: without it the stored value is kept, as is a
// formula the evaluator refuses. Called with the emulator's lock held.
#pragma once

#include <string>
#include <vector>

#include "emulator/model.h"

namespace airpg::emulator {

struct RecordRef {
  std::string table_id;
  std::string record_id;
  bool operator==(const RecordRef&) const = default;
};

// A record, other than the written one, whose computed cells a recompute changed.
struct RecomputedRecord {
  RecordRef ref;
  int64_t created_millis = 0;
  Json previous;  // its cells before
  Json current;   // and after
};

// The records `cells` (of a record in `table`) links to, in every link field.
std::vector<RecordRef> LinkedRecords(Base& base, const Table& table, const Json& cells);

// Recomputes the seeds' computed cells and, transitively, those of records
// linked to a record whose computed cells changed. `now_millis` is NOW().
// Returns the records whose cells changed, except `written` (the record the
// request wrote, reported by the caller; may be null).
std::vector<RecomputedRecord> Recompute(Base& base, const std::vector<RecordRef>& seeds,
                                        int64_t now_millis, const RecordRef* written = nullptr);

// Fills the computed cells a data file leaves empty, for every record of
// `base`. Cells the file stores are kept: they are Airtable's own values
// (captured fixtures hold errors and NOW()-based values the file must keep).
void FillComputedCells(Base& base, int64_t now_millis);

}  // namespace airpg::emulator
