// Record checksums for `airpg verify`: each cell becomes a canonical text
// that is equal exactly when Airtable would see the same value, whether the
// cell came from the REST API or was rebuilt from Postgres rows (PgToCell
// and the builders of relation_cells.h); RecordChecksum hashes a record's
// canonical cells. CanonicalCell is pure and thread-safe; a RecordChecksum
// is thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "airtable/schema.h"
#include "base/result.h"
#include "mapping/type_rules.h"

namespace airpg::mapping {

// The canonical text of one cell (nullopt: absent). "" is the empty value,
// which Airtable does not tell from an absent cell: no cell, null, "", [],
// an unchecked checkbox. Otherwise:
//  - column storages go through CellToPg, so spellings of one value agree
//    (1.5 / 1.50 / 1.5e0; "…:00Z" / "…:00.000Z"; jsonb keys in any order);
//    a scalar is "=" + text and an array "[" + framed items, never equal;
//    a computed field's formula error is "!" + its canonical JSON, so the
//    cell rebuilt from airpg_cell_errors compares equal and never as empty;
//  - links: the record ids in order, sorted when `unordered_links` (the
//    inverse side of a single-record-link FK, whose order Postgres does not
//    keep);
//  - collaborators: the ids in order (email and name change without the
//    cell changing);
//  - attachments: id, filename, size and type in order (URLs expire;
//    thumbnails are derived).
// A cell that cannot be converted is the converter's error, for the caller
// to report.
Result<std::string> CanonicalCell(const airtable::Field& field, const ColumnPlan& plan,
                                  std::optional<std::string_view> cell_json,
                                  bool unordered_links = false);

// The lower-case hex SHA-256 of one record's canonical cells, taken in field
// id order with each id and value length-prefixed, so neither the order of
// Add nor a separator inside a value can make two records collide. An empty
// canonical value is skipped: an empty cell hashes as no cell.
class RecordChecksum {
 public:
  void Add(std::string_view field_id, std::string_view canonical);
  // The checksum; the object is empty again afterwards, ready for the next
  // record.
  std::string Finish();

 private:
  std::vector<std::pair<std::string, std::string>> cells_;
};

}  // namespace airpg::mapping
