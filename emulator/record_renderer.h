// Record rendering over the emulator's model: the cell values a record shows
// (computed cells included), fed to the shared wire format's RecordBuilder
// (src/airtable/wire/record_renderer.h) for the record object of REST
// responses. Pure over the model; called with the emulator's lock held.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "airtable/wire/record_renderer.h"
#include "emulator/model.h"

namespace airpg::emulator {

// The wire format's options plus the emulator's attachment URLs.
struct RenderOptions : airtable::wire::RenderOptions {
  // Gives an attachment object its served (signed, expiring) URL; unset:
  // attachments are shown as stored.
  std::function<std::string(const Json& attachment)> attachment_url;
};

Json RenderRecord(const Base& base, const Table& table, const Record& record,
                  const RenderOptions& options);

// RenderRecord(...).dump(), reusing the record's cached text when `options`
// is plain (all fields, cellFormat json, no commentCount) and the table has no
// attachment fields (their URLs are signed per read). `generation` is
// Model::generation.
std::string RenderRecordText(const Base& base, const Table& table, const Record& record,
                             const RenderOptions& options, uint64_t generation);

// The value a field shows for a record in the read format; null when empty.
// Computed live: createdTime, lastModifiedTime (the instant, or its date for a
// `date` result), count (links in the counted field) and multipleLookupValues
// (the linked records' values, flattened). Other computed types show the
// value stored in the data file. A lookup, rollup or count whose link is
// broken shows as base.cell_rules says (cell_rules.h). Never throws, whatever
// the stored JSON.
Json CellValue(const Base& base, const Table& table, const Field& field, const Record& record);

// The display text of a cell (cellFormat=string, sorting, simple filters);
// dates follow the field's formats, dateTimes its zone (or `time_zone` for
// "client" zones).
std::string CellText(const Base& base, const Field& field, const Json& value,
                     const std::string& time_zone = "", const std::string& user_locale = "");

}  // namespace airpg::emulator
